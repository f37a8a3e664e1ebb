/* tlsd_req.c: the daemon's check of a request's form (tlsd_req.h). The
 * socket is reachable by local users, so a request is untrusted input:
 * fixed size, fixed fields, strings that must end inside their field. */
#include <string.h>

#include "tlsd_req.h"

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int
tlsd_req_check(const void *p, size_t n)
{
	struct tlsd_req r;

	if (n != sizeof r)
		return -1;
	memcpy(&r, p, sizeof r);
	if (memcmp(r.magic, TLSD_REQ_MAGIC, sizeof TLSD_REQ_MAGIC) != 0 || r.flags != 0)
		return -1;
	if (!terminated(r.sid, sizeof r.sid) || !terminated(r.client, sizeof r.client) ||
	    !terminated(r.local, sizeof r.local))
		return -1;
	return 0;
}
