/* SPDX-License-Identifier: ISC */
/* protocol.c: the protocol table (protocol.h): IMAP (RFC 9051, RFC 3501),
 * POP3 (RFC 1939, RFC 2449, RFC 5034) and SMTP (RFC 5321, RFC 4954), with
 * nginx's reply texts, which clients and tests compare byte for byte; and
 * ManageSieve (RFC 5804), which nginx lacks, in Dovecot's words. */
#include <string.h>

#include "protocol.h"

static const char *const method_names[] = {
	[METHOD_PLAIN] = "plain", [METHOD_APOP] = "apop", [METHOD_CRAM_MD5] = "cram-md5",
	[METHOD_EXTERNAL] = "external", [METHOD_NONE] = "none",
	[METHOD_XOAUTH2] = "xoauth2", [METHOD_OAUTHBEARER] = "oauthbearer",
};

const char *
auth_method_name(enum auth_method m)
{
	if ((size_t)m >= sizeof method_names / sizeof method_names[0])
		return NULL;
	return method_names[m];
}

const struct sasl_name sasl_names[6] = {
	{ MP_AUTH_PLAIN, "PLAIN" }, { MP_AUTH_LOGIN, "LOGIN" },
	{ MP_AUTH_CRAM_MD5, "CRAM-MD5" }, { MP_AUTH_EXTERNAL, "EXTERNAL" },
	{ MP_AUTH_XOAUTH2, "XOAUTH2" }, { MP_AUTH_OAUTHBEARER, "OAUTHBEARER" },
};

static size_t
imap_buffer(const struct mp_server *srv)
{
	return srv->imap_client_buffer;
}

static unsigned
imap_methods(const struct mp_server *srv)
{
	return srv->imap_auth;
}

/* nginx's POP3 buffer has no directive; a bearer token needs a longer
 * line than nginx's 128 bytes */
static size_t
pop3_buffer(const struct mp_server *srv)
{
	if (srv->pop3_auth & (MP_AUTH_XOAUTH2 | MP_AUTH_OAUTHBEARER))
		return POP3_OAUTH_BUFFER;
	return POP3_BUFFER;
}

/* nginx's pop3_auth "plain" enables AUTH LOGIN too */
static unsigned
pop3_methods(const struct mp_server *srv)
{
	unsigned m = srv->pop3_auth;

	return m & MP_AUTH_PLAIN ? m | MP_AUTH_LOGIN : m;
}

static size_t
smtp_buffer(const struct mp_server *srv)
{
	return srv->smtp_client_buffer;
}

static unsigned
smtp_methods(const struct mp_server *srv)
{
	return srv->smtp_auth;
}

static size_t
sieve_buffer(const struct mp_server *srv)
{
	return srv->sieve_client_buffer;
}

static unsigned
sieve_methods(const struct mp_server *srv)
{
	return srv->sieve_auth;
}

static const struct mp_protocol protocols[] = {
	{
		.id = MP_PROTO_IMAP,
		.name = "imap",
		.auth_protocol = "imap",
		.alpn = "imap",
		.ports = { 143, 993 },
		.port_units = { "imap", "imaps" },
		.client_buffer = imap_buffer,
		.auth_methods = imap_methods,
		.salt_methods = MP_AUTH_CRAM_MD5,
		.invalid_command = "BAD invalid command\r\n",
		.internal_error = "* BAD internal server error\r\n",
		.cert_missing = "* BYE No required SSL certificate\r\n",
		.cert_error = "* BYE SSL certificate error\r\n",
		.auth_failed = "NO ",
		.challenge_prefix = "+ ",
		.challenge_suffix = "\r\n",
		.plain_challenge = "+ \r\n",
		.username_prompt = "+ VXNlcm5hbWU6\r\n",
		.password_prompt = "+ UGFzc3dvcmQ6\r\n",
	},
	{
		.id = MP_PROTO_POP3,
		.name = "pop3",
		.auth_protocol = "pop3",
		.alpn = "pop3",
		.ports = { 110, 995 },
		.port_units = { "pop3", "pop3s" },
		.client_buffer = pop3_buffer,
		.auth_methods = pop3_methods,
		.salt_methods = MP_AUTH_APOP | MP_AUTH_CRAM_MD5,
		.invalid_command = "-ERR invalid command\r\n",
		.internal_error = "-ERR internal server error\r\n",
		.cert_missing = "-ERR No required SSL certificate\r\n",
		.cert_error = "-ERR SSL certificate error\r\n",
		.auth_failed = "-ERR ",
		.challenge_prefix = "+ ",
		.challenge_suffix = "\r\n",
		.plain_challenge = "+ \r\n",
		.username_prompt = "+ VXNlcm5hbWU6\r\n",
		.password_prompt = "+ UGFzc3dvcmQ6\r\n",
	},
	{
		.id = MP_PROTO_SMTP,
		.name = "smtp",
		.auth_protocol = "smtp",
		.alpn = "smtp",
		.ports = { 25, 465, 587 },
		.port_units = { "smtp", "smtps", "submission" },
		.client_buffer = smtp_buffer,
		.auth_methods = smtp_methods,
		.salt_methods = MP_AUTH_CRAM_MD5,
		.invalid_command = "500 5.5.1 Invalid command\r\n",
		.internal_error = "451 4.3.2 Internal server error\r\n",
		.cert_missing = "421 4.7.1 No required SSL certificate\r\n",
		.cert_error = "421 4.7.1 SSL certificate error\r\n",
		.auth_failed = NULL,
		.logged_in = "235 2.0.0 OK\r\n",
		.challenge_prefix = "334 ",
		.challenge_suffix = "\r\n",
		.plain_challenge = "334 \r\n",
		.username_prompt = "334 VXNlcm5hbWU6\r\n",
		.password_prompt = "334 UGFzc3dvcmQ6\r\n",
	},
	{
		/* replies are OK/NO/BYE with a quoted text; challenges are
		 * strings (RFC 5804 2.1); the failure reply is sieve.c's, which
		 * quotes the auth server's text */
		.id = MP_PROTO_SIEVE,
		.name = "sieve",
		.auth_protocol = "sieve",
		.alpn = "managesieve",
		.ports = { 4190 },
		.port_units = { "sieve" },
		.client_buffer = sieve_buffer,
		.auth_methods = sieve_methods,
		.salt_methods = 0,
		.invalid_command = "NO \"Invalid command.\"\r\n",
		.internal_error = "BYE \"Internal server error.\"\r\n",
		.cert_missing = "BYE \"No required SSL certificate.\"\r\n",
		.cert_error = "BYE \"SSL certificate error.\"\r\n",
		.auth_failed = "NO ",
		.challenge_prefix = "\"",
		.challenge_suffix = "\"\r\n",
		.plain_challenge = "\"\"\r\n",
		.username_prompt = "\"VXNlcm5hbWU6\"\r\n",
		.password_prompt = "\"UGFzc3dvcmQ6\"\r\n",
	},
};
#define NPROTOCOLS (sizeof protocols / sizeof protocols[0])

const struct mp_protocol *
protocol_get(int id)
{
	for (size_t i = 0; i < NPROTOCOLS; i++)
		if ((int)protocols[i].id == id)
			return &protocols[i];
	return NULL;
}

const struct mp_protocol *
protocol_by_name(const char *name)
{
	for (size_t i = 0; i < NPROTOCOLS; i++)
		if (strcmp(protocols[i].name, name) == 0)
			return &protocols[i];
	return NULL;
}

const struct mp_protocol *
protocol_by_port(unsigned port)
{
	for (size_t i = 0; i < NPROTOCOLS; i++)
		for (size_t j = 0; j < PROTO_MAX_PORTS; j++)
			if (port != 0 && protocols[i].ports[j] == port)
				return &protocols[i];
	return NULL;
}
