/* obj.c — refcounted allocation (see gw/obj.h).
 * A hidden header before the object carries the count and the destructor. */
#include <glib.h>
#include <stdalign.h>
#include "gw/obj.h"

struct obj_hdr {
	gint refs;
	gw_obj_destroy_h *dtor;
	alignas(max_align_t) unsigned char data[];
};

static gint live_objects;

static struct obj_hdr *hdr_of(const void *obj)
{
	return (struct obj_hdr *)((const unsigned char *)obj - offsetof(struct obj_hdr, data));
}

void *gw_obj_alloc(size_t size, gw_obj_destroy_h *dtor)
{
	struct obj_hdr *h = g_malloc0(sizeof(*h) + size);

	h->refs = 1;
	h->dtor = dtor;
	g_atomic_int_inc(&live_objects);
	return h->data;
}

void *gw_obj_ref(void *obj)
{
	if (obj)
		g_atomic_int_inc(&hdr_of(obj)->refs);
	return obj;
}

void *gw_obj_deref(void *obj)
{
	struct obj_hdr *h;

	if (!obj)
		return NULL;
	h = hdr_of(obj);
	g_return_val_if_fail(g_atomic_int_get(&h->refs) > 0, NULL);
	if (!g_atomic_int_dec_and_test(&h->refs))
		return NULL;
	if (h->dtor)
		h->dtor(obj);
	g_atomic_int_add(&live_objects, -1);
	g_free(h);
	return NULL;
}

void gw_obj_release(void *obj)
{
	gw_obj_deref(obj);
}

unsigned gw_obj_refs(const void *obj)
{
	return obj ? (unsigned)g_atomic_int_get(&hdr_of(obj)->refs) : 0;
}

long gw_obj_live(void)
{
	return g_atomic_int_get(&live_objects);
}
