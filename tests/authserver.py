#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# authserver.py - a small auth_http server for mailproxy (and nginx's mail proxy).
#
# It speaks nginx's auth_http protocol: mailproxy sends one HTTP/1.0 GET per login attempt
# with the credentials in Auth-* headers; this server answers with Auth-Status and, on
# success, the backend to log in to (Auth-Server, Auth-Port).  Only the Python 3 standard
# library is used.
#
#   authserver.py --users FILE --backend 127.0.0.1:143 [--backend pop3=127.0.0.1:110]
#                 (--listen [HOST:]PORT | --listen unix:/path) [--log FILE] [--wait N]
#
# FILE holds "user:password" lines ('#' starts a comment).  The file is re-read on every
# request, so users can be added while the server runs.
#
# Adapting it as an administrator: this is the example auth server that `make demo` uses.
# A real deployment would replace lookup() with a query against its own user database
# (LDAP, SQL, ...), choose the backend per user in backend_for() (this is how one mail
# domain is spread over several IMAP/POP3 servers), keep --wait at a few seconds to slow
# down password guessing (nginx's documentation uses 3), stop sending Auth-Wait after
# 10-20 attempts (see Auth-Login-Attempt), and drop the test hooks in HOOKS below.  It must
# only listen where mailproxy can reach it (loopback or a unix socket): the requests carry
# passwords in clear text.
#
# Test hooks, chosen by the login name (see HOOKS): wait-prefixed users get Auth-Wait: 1
# on a wrong password, "errcode" gets an SMTP error code, "garbage" a malformed reply,
# "slow" a reply after --slow seconds, "noserver" no Auth-Server, "badaddr" a host name
# as Auth-Server, "badport" an invalid port, "statuswait" Auth-Status: WAIT before OK,
# "authuser" Auth-User/Auth-Pass overrides (it logs in to the backend as the first user
# of the users file), "nopass" no Auth-Pass where one is needed, "closer" no reply at all,
# "big" a header block over nginx's 1024-byte limit, "deadbackend" the backend given
# as --backend dead=HOST:PORT (a closed port).  Every request's header block is
# appended raw to --log, exactly as received, so tests can compare bytes.
#
# OAuth bearer tokens (XOAUTH2, OAUTHBEARER): the server is its own token issuer.
# "GET /token?user=U&password=P[&pad=N]" answers a known user with the JSON of an RFC 6749
# token response; the access token names the user, is signed with a key made at start-up
# and, with pad=N, carries N filler characters (for long tokens).  Such requests are not
# logged.  An auth request with Auth-Method xoauth2 or oauthbearer passes when Auth-Pass
# is a token issued here and Auth-User is empty or the token's user; the reply then names
# the token's user and password (Auth-User, Auth-Pass) for the backend, except for users
# whose name starts with "passthru": their reply has neither, so the backend gets the
# client's user and token.  Any other token gets "Auth-Status: Invalid login or password"
# and an Auth-Error-SASL (RFC 7628 3.2.2: base64 JSON), with Auth-Wait as for a wrong
# password; the user "sasljunk" gets an Auth-Error-SASL that is not base64.

import argparse
import base64
import hashlib
import hmac
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse

MAX_HEAD = 16384
HOOKS = ("errcode", "garbage", "slow", "noserver", "badaddr", "badport", "statuswait",
         "authuser", "nopass", "closer", "big", "deadbackend")

opts = None
log_lock = threading.Lock()
state_lock = threading.Lock()
statuswait_seen = {}


def unescape(v):
    # nginx escapes 0x00-0x1f, space and '%' as %XX; everything else is raw bytes,
    # which arrive here as latin-1 characters (the header block is read that way)
    return urllib.parse.unquote_to_bytes(v.encode("latin-1")).decode("utf-8", "surrogateescape")


def load_users():
    users = []
    try:
        with open(opts.users, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if not line or line.startswith("#") or ":" not in line:
                    continue
                u, p = line.split(":", 1)
                users.append((u, p))
    except FileNotFoundError:
        pass
    return users


def lookup(user):
    for u, p in load_users():
        if u == user:
            return p
    return None


def backend_for(proto):
    b = opts.backends.get(proto) or opts.backends.get("")
    if b is None:
        return None
    host, port = b.rsplit(":", 1)
    return host.strip("[]"), port


def verify(method, user, passwd, salt, real):
    if real is None:
        return False
    if method in ("plain", "login"):
        return hmac.compare_digest(passwd.encode("utf-8", "surrogateescape"),
                                   real.encode("utf-8", "surrogateescape"))
    if method == "cram-md5":
        # HMAC-MD5 keyed with the password over the salt as sent in the challenge (no CRLF)
        want = hmac.new(real.encode(), salt.rstrip("\r\n").encode(), hashlib.md5).hexdigest()
        return hmac.compare_digest(want, passwd.lower())
    if method == "apop":
        want = hashlib.md5((salt.rstrip("\r\n") + real).encode()).hexdigest()
        return hmac.compare_digest(want, passwd.lower())
    if method == "external":
        return True
    if method == "none":
        return True
    return False


TOKEN_KEY = os.urandom(32)
SASL_ERROR = base64.b64encode(json.dumps(
    {"status": "invalid_token", "schemes": "bearer", "scope": "mail"}).encode()).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token_issue(user, pad):
    # "mpt.<user>.<filler>.<mac>": only RFC 6750 b64token characters
    body = "mpt.%s.%s" % (b64url(user.encode("utf-8", "surrogateescape")), "x" * pad)
    return body + "." + hmac.new(TOKEN_KEY, body.encode(), hashlib.sha256).hexdigest()


def token_user(token):
    """The user a token issued here names, or None."""
    body, _, mac = token.rpartition(".")
    want = hmac.new(TOKEN_KEY, body.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
    parts = body.split(".")
    mac = mac.encode("utf-8", "surrogateescape")
    if len(parts) != 3 or parts[0] != "mpt" or not hmac.compare_digest(mac, want.encode()):
        return None
    u = parts[1] + "=" * (-len(parts[1]) % 4)
    return base64.urlsafe_b64decode(u).decode("utf-8", "surrogateescape")


def token_endpoint(target):
    """GET /token?user=U&password=P[&pad=N]: an RFC 6749 5.1 JSON response."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    user, password = q.get("user", [""])[0], q.get("password", [""])[0]
    real = lookup(user)
    if real is None or not hmac.compare_digest(real.encode(), password.encode()):
        body, status = json.dumps({"error": "invalid_grant"}), "400 Bad Request"
    else:
        pad = min(int(q.get("pad", ["0"])[0]), 1 << 20)
        body = json.dumps({"access_token": token_issue(user, pad), "token_type": "Bearer",
                           "expires_in": 3600})
        status = "200 OK"
    return ("HTTP/1.0 %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
            "Content-Length: %d\r\n\r\n%s" % (status, len(body), body)).encode()


def respond_oauth(h, method, user, token, proto):
    ok_head = "HTTP/1.0 200 OK\r\n"
    tuser = token_user(token)
    if tuser is None or (user and user != tuser):
        r = ok_head + "Auth-Status: Invalid login or password\r\n"
        r += "Auth-Error-SASL: %s\r\n" % ("not base64!" if user == "sasljunk" else SASL_ERROR)
        wait = 1 if user.startswith("wait") else opts.wait
        if wait:
            r += "Auth-Wait: %d\r\n" % wait
        return (r + "\r\n").encode()
    b = backend_for(proto)
    if b is None:
        return (ok_head + "Auth-Status: No backend for %s\r\n\r\n" % proto).encode()
    lines = ["Auth-Status: OK", "Auth-Server: " + b[0], "Auth-Port: " + b[1]]
    if not tuser.startswith("passthru"):
        lines += ["Auth-User: " + tuser, "Auth-Pass: " + lookup(tuser)]
    return (ok_head + "".join(l + "\r\n" for l in lines) + "\r\n").encode()


def respond(h):
    """h: dict of lower-case header name -> raw value.  Returns the response bytes or None."""
    method = h.get("auth-method", "")
    user = unescape(h.get("auth-user", ""))
    passwd = unescape(h.get("auth-pass", ""))
    salt = h.get("auth-salt", "")
    proto = h.get("auth-protocol", "")
    attempt = h.get("auth-login-attempt", "1")
    ok_head = "HTTP/1.0 200 OK\r\n"

    if user == "closer":
        return None
    if user == "garbage":
        return b"HTTP/1.0 200 OK\r\nthis is not a header\r\n\r\n"
    if user == "big":
        return (ok_head + "X-Filler: " + "x" * 1100 + "\r\nAuth-Status: OK\r\n\r\n").encode()
    if user == "slow":
        time.sleep(opts.slow)
    if user == "statuswait":
        with state_lock:
            key = (h.get("client-ip", ""), attempt)
            n = statuswait_seen.get(key, 0)
            statuswait_seen[key] = n + 1
        if n % 2 == 0:  # every other request, so each session sees one WAIT
            return (ok_head + "Auth-Status: WAIT\r\nAuth-Wait: 1\r\n\r\n").encode()

    if method in ("xoauth2", "oauthbearer"):
        return respond_oauth(h, method, user, passwd, proto)
    real = lookup(user)
    if user in ("errcode",):
        return (ok_head + "Auth-Status: Temporary server problem, try again later\r\n"
                "Auth-Error-Code: 451 4.3.0\r\n\r\n").encode()
    if not verify(method, user, passwd, salt, real):
        wait = 1 if user.startswith("wait") else opts.wait
        r = ok_head + "Auth-Status: Invalid login or password\r\n"
        if wait:
            r += "Auth-Wait: %d\r\n" % wait
        return (r + "\r\n").encode()

    b = backend_for("dead" if user == "deadbackend" else proto)
    # --route URI=HOST:PORT: the request's URI chooses the backend (one auth server
    # for several server{} blocks, each with its own auth_http URI)
    if h.get(":uri") in opts.routes:
        b = tuple(opts.routes[h[":uri"]].rsplit(":", 1))
    if b is None:
        return (ok_head + "Auth-Status: No backend for %s\r\n\r\n" % proto).encode()
    host, port = b
    lines = ["Auth-Status: OK"]
    if user == "badaddr":
        host = "example.com"
    if user == "badport":
        port = "99999"
    if user != "noserver":
        lines += ["Auth-Server: " + host, "Auth-Port: " + port]
    if user == "authuser":
        u0, p0 = load_users()[0]
        lines += ["Auth-User: " + u0, "Auth-Pass: " + p0]
    elif method in ("cram-md5", "apop", "external") and user != "nopass":
        lines += ["Auth-Pass: " + real]
    lines += [x.split("=", 1)[1] for x in opts.reply_header if x.split("=", 1)[0] == user]
    return (ok_head + "".join(l + "\r\n" for l in lines) + "\r\n").encode()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        raw = b""
        while b"\r\n\r\n" not in raw and b"\n\n" not in raw and len(raw) < MAX_HEAD:
            chunk = self.request.recv(4096)
            if not chunk:
                break
            raw += chunk
        end = raw.find(b"\r\n\r\n")
        head = raw[:end + 4] if end >= 0 else raw
        target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
        if target.startswith(b"/token"):
            self.request.sendall(token_endpoint(target.decode("latin-1")))
            return
        if opts.log:
            with log_lock, open(opts.log, "ab") as f:
                f.write(head)
        h = {}
        first = head.decode("latin-1").split("\r\n")[0].split(" ")
        h[":uri"] = first[1] if len(first) > 1 else ""
        for line in head.decode("latin-1").split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                h[k.strip().lower()] = v.strip()
        try:
            resp = respond(h)
        except Exception as e:  # never hang the client: report and close
            print("authserver: %r" % e, file=sys.stderr)
            resp = b"HTTP/1.0 500 Internal Server Error\r\nAuth-Status: internal error\r\n\r\n"
        if resp is not None:
            try:
                self.request.sendall(resp)
            except OSError:
                pass


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def main():
    global opts
    ap = argparse.ArgumentParser(description="auth_http server for mailproxy and nginx mail")
    ap.add_argument("--listen", required=True, help="[HOST:]PORT or unix:/path")
    ap.add_argument("--users", required=True, help="file of user:password lines")
    ap.add_argument("--backend", action="append", default=[],
                    help="[PROTO=]HOST:PORT (PROTO imap, pop3 or smtp; repeatable)")
    ap.add_argument("--log", help="append every request's raw header block here")
    ap.add_argument("--wait", type=int, default=0, help="Auth-Wait on a wrong password")
    ap.add_argument("--slow", type=float, default=3.0, help="delay for the user 'slow'")
    ap.add_argument("--reply-header", action="append", default=[], metavar="USER=HEADER",
                    help="add 'HEADER' (\"Name: value\") to USER's OK replies")
    ap.add_argument("--pidfile")
    ap.add_argument("--route", action="append", default=[],
                    help="URI=HOST:PORT: the backend for requests to URI (repeatable)")
    opts = ap.parse_args()
    opts.backends = {}
    for b in opts.backend:
        proto, _, addr = b.rpartition("=")
        opts.backends[proto] = addr
    opts.routes = dict(r.split("=", 1) for r in opts.route)

    if opts.listen.startswith("unix:"):
        path = opts.listen[5:]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        srv = UnixServer(path, Handler)
    else:
        host, _, port = opts.listen.rpartition(":")
        srv = TCPServer((host or "127.0.0.1", int(port)), Handler)
    if opts.pidfile:
        with open(opts.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("authserver: listening on %s" % opts.listen, file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
