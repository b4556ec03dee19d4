/* list.h - docker-stats' reading of a container list body
 * (GET /containers/json?all=1): which containers it names, and which of
 * them the name filter selects.  No I/O, no logging.
 *
 * The body comes from the engine: every field is checked before use.  An
 * entry without a usable Id (1..79 hex digits: it goes into a URL) or a
 * first name (other than "/") is skipped; an empty State is "unknown".
 */
#ifndef KL_DS_LIST_H
#define KL_DS_LIST_H

#include <regex.h>
#include <stddef.h>

/* A selected container in one sample. */
typedef struct ds_cont {
	char id[80];
	char name[256];   /* without the engine's leading '/' (cut to fit) */
	char state[32];   /* "running", "exited", ...; "unknown" if absent or "" */
	char path[200];   /* its stats route (docker-stats fills it) */
	int asked;        /* its stats were requested (docker-stats sets it) */
	int no_net;       /* attached to no network: traffic is not measured */
} ds_cont;

enum {
	DS_LIST_BAD = -1,   /* not a JSON array: why says so */
	DS_LIST_NOMEM = -2, /* out of memory */
};

/* The containers of a list body of len bytes whose name matches re (NULL:
 * every one), sorted by name.  Returns how many, with *out a calloc'd
 * array the caller frees; or DS_LIST_BAD with why filled ("not a JSON
 * array", "invalid JSON at byte N"), or DS_LIST_NOMEM. */
long ds_list_parse(const char *body, size_t len, const regex_t *re,
                   ds_cont **out, char *why, size_t whylen);

#endif
