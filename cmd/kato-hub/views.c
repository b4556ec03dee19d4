/* views.c - per-topic-set views of the latest frame.  See views.h. */
#include "views.h"

#include <stdlib.h>
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

/* Make items[0..n) data's children, in that order, leaving out those
 * whose section is in cut (cJSON's list: next links, and the first one's
 * prev pointing at the last). */
static void relink(cJSON *data, cJSON **items, size_t n, unsigned cut)
{
	cJSON *first = NULL, *last = NULL;
	for (size_t i = 0; i < n; i++) {
		if (section_bit(items[i]->string) & cut)
			continue;
		items[i]->next = NULL;
		if (last) {
			last->next = items[i];
			items[i]->prev = last;
		} else {
			first = items[i];
		}
		last = items[i];
	}
	if (first)
		first->prev = last;
	data->child = first;
}

/* Print the frame without the sections of the topics in cut.  The cut
 * sections are unlinked for the print and linked back after it, all in
 * place (no copy of the frame; cJSON's own insert misplaces an item put
 * back at the head of an object). */
static msg *build(views *v, unsigned cut)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(v->frame, "data");
	size_t n = 0;
	for (cJSON *it = data->child; it; it = it->next)
		n++;
	cJSON **items = malloc(n * sizeof *items);
	if (!items)
		return NULL;
	n = 0;
	for (cJSON *it = data->child; it; it = it->next)
		items[n++] = it;
	relink(data, items, n, cut);
	char *s = cJSON_PrintUnformatted(v->frame);
	relink(data, items, n, 0);
	free(items);
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
