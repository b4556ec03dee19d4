/* list.c - a container list body into selected containers.  See list.h. */
#include "list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "js.h"

static int cont_cmp(const void *a, const void *b)
{
	return strcmp(((const ds_cont *)a)->name, ((const ds_cont *)b)->name);
}

long ds_list_parse(const char *body, size_t len, const regex_t *re,
                   ds_cont **out, char *why, size_t whylen)
{
	cJSON *list = js_parse(body, len, why, whylen);
	if (!cJSON_IsArray(list)) {
		if (list)
			snprintf(why, whylen, "not a JSON array");
		cJSON_Delete(list);
		return DS_LIST_BAD;
	}
	int total = cJSON_GetArraySize(list);
	ds_cont *cs = calloc(total ? (size_t)total : 1, sizeof *cs);
	if (!cs) {
		cJSON_Delete(list);
		return DS_LIST_NOMEM;
	}
	long n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		const char *id = js_str(e, "Id");
		const cJSON *names = js_path(e, "Names");
		const cJSON *first = cJSON_IsArray(names) ? names->child : NULL;
		const char *name = cJSON_IsString(first) ? first->valuestring : NULL;
		/* An id goes into a URL: only the engine's usual hex is taken. */
		if (!id || !name || !*id || strlen(id) >= sizeof cs->id ||
		    strspn(id, "0123456789abcdefABCDEF") != strlen(id))
			continue;
		if (*name == '/')
			name++;
		if (!*name)
			continue;
		if (re && regexec(re, name, 0, NULL, 0) != 0)
			continue;
		const char *state = js_str(e, "State");
		ds_cont *c = &cs[n++];
		/* Podman reports zeros for a container with no network (its
		 * Networks is null); Docker's --network none says "none". */
		const cJSON *nets = js_path(e, "NetworkSettings.Networks");
		const char *mode = js_str(e, "HostConfig.NetworkMode");
		c->no_net = cJSON_IsNull(nets) ||
		            (cJSON_IsObject(nets) && !nets->child) ||
		            (mode && !strcmp(mode, "none"));
		snprintf(c->id, sizeof c->id, "%s", id);
		snprintf(c->name, sizeof c->name, "%s", name);
		snprintf(c->state, sizeof c->state, "%s",
		         state && *state ? state : "unknown");
	}
	cJSON_Delete(list);
	qsort(cs, (size_t)n, sizeof *cs, cont_cmp);
	*out = cs;
	return n;
}
