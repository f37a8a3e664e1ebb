/* SPDX-License-Identifier: ISC */
/* pop3_int.h: what the POP3 front end's files share (pop3.c, pop3_capa.c).
 * Not a public interface. */
#ifndef MP_POP3_INT_H
#define MP_POP3_INT_H

#include <stdbool.h>

#include "session.h"

/* CAPA; STLS_VARIANT is false in the "user" state (pop3_capa.c). */
enum session_next pop3_capa(struct session *s, bool stls_variant);
/* Bare AUTH: the enabled SASL methods, one per line (pop3_capa.c). */
enum session_next pop3_auth_list(struct session *s);

#endif
