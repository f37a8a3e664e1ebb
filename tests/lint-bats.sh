#!/bin/sh
# SPDX-License-Identifier: ISC
# lint-bats.sh FILE...: find bats checks that cannot fail.  bats runs a test body with
# set -e, which ignores the status of every command of an && or || list but the last, of
# a "! cmd" statement and of the command substitution in "local x=$(cmd)"; a test that
# returns early passes.  Reported, as FILE:LINE: what, for the @test bodies, helper
# functions and top-level code of the files given (tests/*.bats, tests/lib/*.bash):
#   - an && list used as a statement (an if/while condition is fine, and so is a list
#     that ends in a failure or in control flow: "a && b || return 1", "x && break")
#   - an || list whose last command only prints ("[ a ] || echo bad")
#   - "! cmd" as a statement, except as the last one of a @test or function body
#   - local/declare/export/readonly NAME=$(...), which hides the command's status
#   - return or return 0 (or exit 0) in a @test body: the test passes silently
#   - skip without a reason
# Heredoc bodies (the python clients), quoted strings, $(...), [[ ]] and (( )) are
# skipped.  Exit 1 if anything was found.
exec python3 - "$@" <<'PY'
import bisect
import re
import sys

OPS = ("&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", "<<", ">>", "<&", ">&",
       "&>", "<>", ">|", "<(", ">(", ";", "&", "|", "(", ")", "<", ">")
REDIR = {"&>>", "<<<", "<<-", "<<", ">>", "<&", ">&", "&>", "<>", ">|", "<", ">"}
META = set(" \t\n;&|()<>")
STARTERS = {";", ";;", ";&", ";;&", "&", "&&", "||", "|", "|&", "(", ")"}
KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}"}
ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=$")


class LintError(Exception):
    pass


class Tok:
    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return "%s:%r@%d" % (self.kind, self.text, self.line)


class Lexer:
    """Bash tokens: words (quotes and substitutions inside), operators, newlines."""

    def __init__(self, src):
        self.s = src
        self.starts = [0] + [m.end() for m in re.finditer("\n", src)]
        self.pending = []

    def line(self, i):
        return bisect.bisect_right(self.starts, i)

    def fail(self, i, what):
        raise LintError("%d: cannot parse: %s" % (self.line(i), what))

    def squote(self, i):
        j = self.s.find("'", i)
        if j < 0:
            self.fail(i, "unterminated '")
        return j + 1

    def until(self, i, end):
        """The index after the first unescaped END from i ($'...' and `...`)."""
        s = self.s
        while i < len(s):
            if s[i] == "\\":
                i += 2
            elif s[i] == end:
                return i + 1
            else:
                i += 1
        self.fail(i, "unterminated " + end)

    def ansi(self, i):
        return self.until(i, "'")

    def dquote(self, i):
        s = self.s
        while i < len(s):
            c = s[i]
            if c == "\\":
                i += 2
            elif c == '"':
                return i + 1
            elif c == "`":
                i = self.backtick(i + 1)
            elif c == "$":
                i = self.dollar(i)
            else:
                i += 1
        self.fail(i, 'unterminated "')

    def backtick(self, i):
        return self.until(i, "`")

    def raw_parens(self, i):
        """s[i] is "(": the index after its match, nothing quoted (arithmetic)."""
        s, depth = self.s, 0
        while i < len(s):
            if s[i] == "(":
                depth += 1
            elif s[i] == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        self.fail(i, "unbalanced (")

    def braces(self, i):
        s, depth = self.s, 1
        while i < len(s):
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                i = self.squote(i + 1)
                continue
            if c == '"':
                i = self.dquote(i + 1)
                continue
            if c == "$":
                i = self.dollar(i)
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        self.fail(i, "unterminated ${")

    def dollar(self, i):
        s = self.s
        if s.startswith("$'", i):
            return self.ansi(i + 2)
        if s.startswith("$((", i):
            return self.raw_parens(i + 1)
        if s.startswith("$(", i):
            return self.lex(i + 2, nested=True)[1]
        if s.startswith("${", i):
            return self.braces(i + 2)
        return i + 1

    def word(self, i):
        s, start = self.s, i
        while i < len(s):
            c = s[i]
            if c == "(" and ASSIGN.match(s[start:i]):
                i = self.lex(i + 1, nested=True)[1]	# NAME=(array)
                continue
            if c in META:
                break
            if c == "\\":
                i += 2
            elif c == "'":
                i = self.squote(i + 1)
            elif c == '"':
                i = self.dquote(i + 1)
            elif c == "`":
                i = self.backtick(i + 1)
            elif c == "$":
                i = self.dollar(i)
            else:
                i += 1
        return i

    def cond_end(self, i):
        """After "[[": the index after the matching "]]"."""
        s = self.s
        while i < len(s):
            if s[i] in " \t\n":
                i += 1
            elif s.startswith("\\\n", i):
                i += 2
            elif s.startswith("]]", i) and (i + 2 == len(s) or s[i + 2] in META):
                return i + 2
            elif s[i] in "&|<>()":
                i += 1
            else:
                i = max(self.word(i), i + 1)
        self.fail(i, "unterminated [[")

    def heredocs(self, i):
        s = self.s
        for delim, strip in self.pending:
            while True:
                if i >= len(s):
                    self.fail(i, "unterminated heredoc " + delim)
                j = s.find("\n", i)
                j = len(s) if j < 0 else j
                text = s[i:j]
                i = j + 1
                if (text.lstrip("\t") if strip else text) == delim:
                    break
        self.pending = []
        return i

    def lex(self, i=0, nested=False):
        s, toks, depth = self.s, [], 0

        def at_start():
            if not toks:
                return True
            t = toks[-1]
            return (t.kind == "nl" or (t.kind == "op" and t.text in STARTERS) or
                    (t.kind == "word" and t.text in KEYWORDS))

        while i < len(s):
            c = s[i]
            if c in " \t":
                i += 1
            elif s.startswith("\\\n", i):
                i += 2
            elif c == "#":
                j = s.find("\n", i)
                i = len(s) if j < 0 else j
            elif c == "\n":
                toks.append(Tok("nl", "\n", self.line(i)))
                i += 1
                if self.pending:
                    i = self.heredocs(i)
            elif s.startswith("((", i) and (at_start() or (toks and toks[-1].text == "for")):
                j = self.raw_parens(i)
                toks.append(Tok("word", s[i:j], self.line(i)))
                i = j
            elif c in "&|;()<>":
                op = next(o for o in OPS if s.startswith(o, i))
                if op == ")" and nested and depth == 0:
                    return toks, i + 1
                if op in ("<(", ">("):
                    j = self.lex(i + 2, nested=True)[1]
                    toks.append(Tok("word", s[i:j], self.line(i)))
                    i = j
                    continue
                depth += {"(": 1, ")": -1}.get(op, 0)
                toks.append(Tok("op", op, self.line(i)))
                i += len(op)
                if op in ("<<", "<<-"):
                    while s[i] in " \t":
                        i += 1
                    j = self.word(i)
                    delim = re.sub(r"""['"\\]""", "", s[i:j])
                    self.pending.append((delim, op == "<<-"))
                    toks.append(Tok("word", s[i:j], self.line(i)))
                    i = j
            else:
                j = self.word(i)
                if j == i:
                    self.fail(i, "unexpected %r" % c)
                if s[i:j] == "[[" and at_start():
                    j = self.cond_end(j)
                toks.append(Tok("word", s[i:j], self.line(i)))
                i = j
        if nested:
            self.fail(i, "unterminated $(")
        return toks, i


# ---- the syntax tree ---------------------------------------------------------------------

class AndOr:		# pipelines joined by && and ||: one statement
    def __init__(self, line, pls, ops):
        self.line, self.pls, self.ops = line, pls, ops


class Pipeline:
    def __init__(self, bang, cmds):
        self.bang, self.cmds = bang, cmds


class Cmd:
    """kind: simple (words), group/subshell (body), if (parts: [(cond, body)...], body =
    else), loop (cond, body), case (bodies), func/test (name, body)"""

    def __init__(self, kind, line, **kw):
        self.kind, self.line = kind, line
        self.words, self.redirs, self.body, self.cond, self.parts, self.bodies, self.name = \
            [], [], [], [], [], [], None
        self.__dict__.update(kw)


class Parser:
    def __init__(self, toks):
        self.t, self.k = toks, 0

    def peek(self, off=0):
        k = self.k + off
        return self.t[k] if k < len(self.t) else None

    def is_(self, kind, *texts, off=0):
        t = self.peek(off)
        return t is not None and t.kind == kind and (not texts or t.text in texts)

    def next(self):
        t = self.peek()
        self.k += 1
        return t

    def fail(self, what):
        t = self.peek()
        raise LintError("%s: cannot parse: %s" % (t.line if t else "end", what))

    def expect(self, kind, text):
        if not self.is_(kind, text):
            self.fail("want %r, have %r" % (text, self.peek()))
        return self.next()

    def skip_nl(self):
        while self.is_("nl"):
            self.next()

    def parse_list(self, words=(), ops=()):
        stmts = []
        while True:
            while self.is_("nl") or self.is_("op", ";", "&"):
                self.next()
            t = self.peek()
            if t is None or (t.kind == "word" and t.text in words) or \
                    (t.kind == "op" and t.text in ops):
                return stmts
            stmts.append(self.parse_andor())

    def parse_andor(self):
        line = self.peek().line
        pls, ops = [self.parse_pipeline()], []
        while self.is_("op", "&&", "||"):
            ops.append(self.next().text)
            self.skip_nl()
            pls.append(self.parse_pipeline())
        return AndOr(line, pls, ops)

    def parse_pipeline(self):
        bang = False
        while self.is_("word", "!", "time"):
            bang = bang or self.next().text == "!"
        cmds = [self.parse_command()]
        while self.is_("op", "|", "|&"):
            self.next()
            self.skip_nl()
            cmds.append(self.parse_command())
        return Pipeline(bang, cmds)

    def redirs(self, cmd=None):
        while self.is_("op") and self.peek().text in REDIR:
            op = self.next().text
            target = self.next().text if self.is_("word") else ""
            if cmd is not None:
                cmd.redirs.append((op, target))

    def parse_command(self):
        t = self.peek()
        if t is None:
            self.fail("a command is missing")
        line = t.line
        if t.kind == "op" and t.text == "(":
            self.next()
            cmd = Cmd("subshell", line, body=self.parse_list(ops=(")",)))
            self.expect("op", ")")
        elif t.kind == "op" and t.text not in REDIR:
            self.fail("unexpected %r" % t.text)
        elif t.kind == "word" and t.text == "{":
            self.next()
            cmd = Cmd("group", line, body=self.parse_list(words=("}",)))
            self.expect("word", "}")
        elif t.kind == "word" and t.text == "if":
            cmd = self.parse_if(line)
        elif t.kind == "word" and t.text in ("while", "until"):
            self.next()
            cond = self.parse_list(words=("do",))
            self.expect("word", "do")
            cmd = Cmd("loop", line, cond=cond, body=self.parse_list(words=("done",)))
            self.expect("word", "done")
        elif t.kind == "word" and t.text in ("for", "select"):
            while not (self.is_("word", "do") and (self.is_("nl", off=-1) or self.is_("op", ";", off=-1))):
                if self.next() is None:
                    self.fail("for without do")
            self.next()
            cmd = Cmd("loop", line, body=self.parse_list(words=("done",)))
            self.expect("word", "done")
        elif t.kind == "word" and t.text == "case":
            cmd = self.parse_case(line)
        elif t.kind == "word" and t.text == "@test":
            self.next()
            name = self.next().text
            self.expect("word", "{")
            cmd = Cmd("test", line, name=name, body=self.parse_list(words=("}",)))
            self.expect("word", "}")
            return cmd
        elif t.kind == "word" and t.text == "function":
            self.next()
            name = self.next().text
            if self.is_("op", "("):
                self.next()
                self.expect("op", ")")
            self.skip_nl()
            return Cmd("func", line, name=name, body=[AndOr(line, [Pipeline(False, [self.parse_command()])], [])])
        elif t.kind == "word" and self.is_("op", "(", off=1) and self.is_("op", ")", off=2):
            self.k += 3
            self.skip_nl()
            return Cmd("func", line, name=t.text, body=[AndOr(line, [Pipeline(False, [self.parse_command()])], [])])
        else:
            cmd = Cmd("simple", line)
            while self.is_("word") or (self.is_("op") and self.peek().text in REDIR):
                if self.is_("word"):
                    cmd.words.append(self.next().text)
                else:
                    self.redirs(cmd)
            return cmd
        self.redirs(cmd)
        return cmd

    def parse_if(self, line):
        parts, body = [], []
        self.next()
        while True:
            cond = self.parse_list(words=("then",))
            self.expect("word", "then")
            parts.append((cond, self.parse_list(words=("elif", "else", "fi"))))
            t = self.next()
            if t is None:
                self.fail("if without fi")
            if t.text == "fi":
                break
            if t.text == "else":
                body = self.parse_list(words=("fi",))
                self.expect("word", "fi")
                break
        return Cmd("if", line, parts=parts, body=body)

    def parse_case(self, line):
        self.next()
        self.next()
        self.skip_nl()
        self.expect("word", "in")
        bodies = []
        while True:
            self.skip_nl()
            if self.is_("word", "esac"):
                self.next()
                break
            while not self.is_("op", ")"):
                if self.next() is None:
                    self.fail("case pattern without )")
            self.next()
            bodies.append(self.parse_list(words=("esac",), ops=(";;", ";&", ";;&")))
            if self.is_("op", ";;", ";&", ";;&"):
                self.next()
        return Cmd("case", line, bodies=bodies)


# ---- the checks ------------------------------------------------------------------------

FAILS = {"false", "fail", "flunk", "skip", "loud_skip"}
CONTROL = {"break", "continue", "return", "exit"}
PRINTS = {"echo", "printf", "cat", "tail", "head"}


def last_simple(pl):
    """The simple command that decides a pipeline's status, through { ...; } groups."""
    cmd = pl.cmds[-1]
    while cmd.kind == "group" and cmd.body:
        st = cmd.body[-1]
        cmd = st.pls[-1].cmds[-1]
    return cmd if cmd.kind == "simple" and cmd.words else None


def ends_list(pl):
    """A failure or control flow: "|| return 1", "|| { echo x; false; }", "&& break"."""
    cmd = last_simple(pl)
    return cmd is not None and not pl.bang and (cmd.words[0] in FAILS | CONTROL)


def only_prints(pl):
    """echo, printf or cat to the terminal (not into a file, which is an action)"""
    cmd = last_simple(pl)
    if cmd is None or pl.bang or cmd.words[0] not in PRINTS:
        return False
    return all(op in ("<", "<<", "<<-", "<<<") or (op == ">&" and t == "2") or t == "/dev/stderr"
               for op, t in cmd.redirs)


class Checker:
    def __init__(self, path):
        self.path, self.found = path, []

    def report(self, line, what):
        self.found.append("%s:%d: %s" % (self.path, line, what))

    def body(self, stmts, ctx, top):
        for i, st in enumerate(stmts):
            self.stmt(st, ctx, top and i == len(stmts) - 1)

    def stmt(self, st, ctx, last):
        if "&&" in st.ops and not ends_list(st.pls[-1]):
            self.report(st.line, "&& list as a statement: set -e ignores a failure before its last "
                        "command (one check per line, or end it in || return 1)")
        elif st.ops and st.ops[-1] == "||" and only_prints(st.pls[-1]):
            self.report(st.line, "|| list ending in a command that only prints: it succeeds "
                        "(end the handler in return 1 or false)")
        if not st.ops and st.pls[0].bang and not last:
            self.report(st.line, "'! cmd' before the end of a test or function never fails "
                        "under set -e (run ! cmd, or cmd && false)")
        # an if, case or group as the last statement ends with the status of its own last
        last = last and not st.ops and not st.pls[0].bang and len(st.pls[0].cmds) == 1
        for pl in st.pls:
            for cmd in pl.cmds:
                self.cmd(cmd, ctx, last)

    def cmd(self, cmd, ctx, last=False):
        k = cmd.kind
        if k == "simple":
            self.simple(cmd, ctx)
        elif k == "loop":
            self.body(cmd.body, ctx, False)
        elif k in ("group", "subshell"):
            self.body(cmd.body, ctx, last)
        elif k == "if":
            for _, b in cmd.parts:
                self.body(b, ctx, last)
            self.body(cmd.body, ctx, last)
        elif k == "case":
            for b in cmd.bodies:
                self.body(b, ctx, last)
        elif k == "func":
            body = cmd.body[0].pls[0].cmds[0]
            self.body(body.body if body.kind in ("group", "subshell") else cmd.body, "func", True)
        elif k == "test":
            self.body(cmd.body, "test", True)

    def simple(self, cmd, ctx):
        w = cmd.words
        if w[0] in ("local", "declare", "typeset", "export", "readonly"):
            for a in w[1:]:
                name, eq, value = a.partition("=")
                if eq and re.search(r"\$\((?!\()|`", value):
                    self.report(cmd.line, "%s %s=$(...) hides the command's status "
                                "(declare first, assign on a line of its own)" % (w[0], name))
        if ctx == "test" and ((w[0] == "return" and (len(w) == 1 or w[1] == "0")) or
                              (w[0] == "exit" and len(w) > 1 and w[1] == "0")):
            self.report(cmd.line, "%s in a @test body: the test passes without checking "
                        "(skip with a reason, or fail)" % " ".join(w[:2]))
        if w[0] == "skip" and (len(w) == 1 or w[1] in ('""', "''")):
            self.report(cmd.line, "skip without a reason")


def lint(path):
    src = open(path, encoding="utf-8", errors="replace").read()
    c = Checker(path)
    try:
        toks, _ = Lexer(src).lex()
        tree = Parser(toks).parse_list()
    except LintError as e:
        line, _, what = str(e).partition(": ")
        return ["%s:%s: %s" % (path, line, what)]
    c.body(tree, "top", False)
    return c.found


def main(paths):
    if not paths:
        sys.exit("usage: lint-bats.sh FILE...")
    found = []
    for p in paths:
        found += lint(p)
    for f in found:
        print(f)
    if found:
        print("lint-bats.sh: %d check(s) that cannot fail" % len(found), file=sys.stderr)
        sys.exit(1)


main(sys.argv[1:])
PY
