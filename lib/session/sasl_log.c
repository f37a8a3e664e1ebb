/* SPDX-License-Identifier: ISC */
/* sasl_log.c: nginx's log lines for a SASL response that did not decode.
 * Kept apart from sasl.c so that the pure decoders never log. */
#include "log.h"
#include "sasl.h"

void
sasl_log(int rc, const char *mech)
{
	switch (rc) {
	case SASL_ELOGIN:
		log_msg(MP_LOG_INFO, "client sent invalid login in AUTH PLAIN command");
		break;
	case SASL_EPASSWORD:
		log_msg(MP_LOG_INFO, "client sent invalid password in AUTH PLAIN command");
		break;
	case SASL_EHASH:
		log_msg(MP_LOG_INFO, "client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command");
		break;
	case SASL_EOAUTH:
		log_msg(MP_LOG_INFO, "client sent invalid message in AUTH %s command", mech);
		break;
	case SASL_ETOKEN:
		log_msg(MP_LOG_INFO, "client sent invalid bearer token in AUTH %s command", mech);
		break;
	default:
		log_msg(MP_LOG_INFO, "client sent invalid base64 encoding in AUTH %s command", mech);
		break;
	}
}
