/* gw/obj.h — reference-counted objects with destructors.
 *
 * Every shared object in rtcsip (call, leg, session, loop, trunk) is allocated
 * with gw_obj_alloc() and a destructor.  The count is atomic, so a reference
 * may be handed to another loop (gw_loop_post); the destructor runs on the
 * thread that drops the last reference.
 */
#ifndef GW_OBJ_H
#define GW_OBJ_H

#include <stddef.h>

typedef void (gw_obj_destroy_h)(void *obj);

/* Allocate a zeroed object of @size bytes holding one reference.
 * @dtor (may be NULL) runs at the last gw_obj_deref().  Never returns NULL
 * (allocation failure aborts, as GLib does). */
void *gw_obj_alloc(size_t size, gw_obj_destroy_h *dtor);

/* Take one more reference; returns @obj (NULL-safe). */
void *gw_obj_ref(void *obj);

/* Drop one reference; destroys and frees at zero.  Always returns NULL so
 * callers write `x = gw_obj_deref(x);`.  NULL-safe. */
void *gw_obj_deref(void *obj);

/* gw_obj_deref() with the shape of a GDestroyNotify, for handing a
 * reference to GLib (timers, hash tables, pointer arrays). */
void gw_obj_release(void *obj);

/* Current count, for tests and assertions. */
unsigned gw_obj_refs(const void *obj);

/* Objects alive right now (all types); tests use it to catch leaks. */
long gw_obj_live(void);

#endif
