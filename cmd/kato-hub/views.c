/* views.c - per-topic-set views of the latest frame.  See views.h. */
#include "views.h"

#include <string.h>

#include "topics.h"

/* The frame's sections and the topic each belongs to, in no particular
 * order (a view keeps the frame's own key order). */
static const struct {
	const char *key;
	unsigned bit;
} sections[] = {
    {"metrics", T_METRICS},
    {"health", T_METRICS},
    {"containers", T_CONTAINERS},
    {"sessions", T_SESSIONS},
};
#define NSECTIONS (sizeof sections / sizeof *sections)

static unsigned section_bit(const char *key)
{
	for (size_t i = 0; key && i < NSECTIONS; i++)
		if (!strcmp(key, sections[i].key))
			return sections[i].bit;
	return 0;
}

void views_clear(views *v)
{
	cJSON_Delete(v->frame);
	msg_unref(v->base);
	for (int i = 0; i < 8; i++)
		msg_unref(v->view[i]);
	unsigned long built = v->built;
	*v = (views){.built = built};
}

void views_set(views *v, cJSON *frame, msg *base)
{
	views_clear(v);
	v->frame = frame;
	v->base = base;
	base->refs++;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(frame, "data");
	const cJSON *it;
	if (cJSON_IsObject(data))
		cJSON_ArrayForEach(it, data)
			v->present |= section_bit(it->string);
}

/* Print the frame without the sections of the topics in cut. */
static msg *build(views *v, unsigned cut)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(v->frame, "data");
	cJSON *taken[NSECTIONS * 2];
	int at[NSECTIONS * 2], n = 0, i = 0;
	/* Take the cut sections out, remembering where each was. */
	for (cJSON *it = data->child, *next; it && n < (int)(NSECTIONS * 2);
	     it = next, i++) {
		next = it->next;
		if (section_bit(it->string) & cut) {
			at[n] = i;
			taken[n++] = cJSON_DetachItemViaPointer(data, it);
		}
	}
	char *s = cJSON_PrintUnformatted(v->frame);
	/* Put them back where they were, in order. */
	for (int k = 0; k < n; k++)
		cJSON_InsertItemInArray(data, at[k], taken[k]);
	if (!s)
		return NULL;
	msg *m = msg_new(s, strlen(s));
	cJSON_free(s);
	if (m) {
		m->frame = 1;
		v->built++;
	}
	return m;
}

int views_get(views *v, unsigned want, msg **out)
{
	if (!v->base || !(want & T_FRAME))
		return VIEWS_NONE;
	unsigned cut = v->present & ~want & T_FRAME;
	if (!cut) {
		*out = v->base;
		return VIEWS_OK;
	}
	if (!v->view[cut] && !(v->view[cut] = build(v, cut)))
		return VIEWS_NOMEM;
	*out = v->view[cut];
	return VIEWS_OK;
}
