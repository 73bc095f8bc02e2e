/* test_core.c — refcounted objects and posting work between loops. */
#include <check.h>
#include <glib.h>
#include "gw/obj.h"
#include "gw/loop.h"

static int destroyed;

static void count_destroy(void *obj)
{
	destroyed++;
}

START_TEST(test_obj_destructor_runs_at_last_deref)
{
	long live = gw_obj_live();
	int *o = gw_obj_alloc(sizeof(int), count_destroy);

	destroyed = 0;
	ck_assert_int_eq(*o, 0); /* zeroed */
	ck_assert_uint_eq(gw_obj_refs(o), 1);
	ck_assert_ptr_eq(gw_obj_ref(o), o);
	ck_assert_uint_eq(gw_obj_refs(o), 2);
	ck_assert_ptr_null(gw_obj_deref(o));
	ck_assert_int_eq(destroyed, 0);
	ck_assert_ptr_null(gw_obj_deref(o));
	ck_assert_int_eq(destroyed, 1);
	ck_assert_int_eq(gw_obj_live(), live);
	ck_assert_ptr_null(gw_obj_deref(NULL));
	ck_assert_ptr_null(gw_obj_ref(NULL));
}
END_TEST

struct job {
	GThread *ran_on;
	GMainLoop *done;   /* quit when the job ran */
	GMainContext *expect_ctx;
	gboolean owner_ok;
};

static void job_destroy(void *obj)
{
	destroyed++;
}

static gboolean quit_cb(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void job_run(void *obj)
{
	struct job *j = obj;

	j->ran_on = g_thread_self();
	j->owner_ok = g_main_context_is_owner(j->expect_ctx);
	/* Report back to the control loop, as real code does. */
	g_main_context_invoke(NULL, quit_cb, j->done);
}

START_TEST(test_loop_post_runs_on_target_loop_holding_a_reference)
{
	struct job *j;
	struct gw_loop *l;

	ck_assert_int_eq(gw_loops_start(2), 0);
	ck_assert_uint_eq(gw_loop_count(), 2);
	destroyed = 0;
	j = gw_obj_alloc(sizeof(*j), job_destroy);
	j->done = g_main_loop_new(NULL, FALSE);
	l = gw_loop_pin();
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(gw_loop_pinned(l), 1);
	j->expect_ctx = gw_loop_context(l);
	gw_loop_post(l, job_run, j);
	/* Drop our reference at once: the post must keep the job alive. */
	GMainLoop *done = g_main_loop_ref(j->done);
	j = gw_obj_deref(j);
	ck_assert_int_eq(destroyed, 0);
	g_main_loop_run(done);
	g_main_loop_unref(done);
	/* The job ran on the media thread, not ours, and was then released. */
	gw_loop_unpin(l);
	l = gw_obj_deref(l);
	gw_loops_stop();
	ck_assert_int_eq(destroyed, 1);
}
END_TEST

START_TEST(test_loop_pin_balances_calls_across_loops)
{
	struct gw_loop *a, *b, *c;

	ck_assert_int_eq(gw_loops_start(2), 0);
	a = gw_loop_pin();
	b = gw_loop_pin();
	ck_assert_ptr_ne(a, b);
	gw_loop_unpin(a);
	c = gw_loop_pin();
	ck_assert_ptr_eq(c, a); /* the emptier one */
	gw_loop_unpin(b);
	gw_loop_unpin(c);
	gw_obj_deref(a);
	gw_obj_deref(b);
	gw_obj_deref(c);
	gw_loops_stop();
}
END_TEST

static void touch(void *obj)
{
	(*(int *)obj)++;
}

START_TEST(test_loop_stop_releases_pending_work)
{
	int *o;

	ck_assert_int_eq(gw_loops_start(1), 0);
	destroyed = 0;
	o = gw_obj_alloc(sizeof(int), count_destroy);
	/* Post a burst and stop at once: some work may run, the rest is
	 * dropped, and every reference the posts took must be released. */
	for (int i = 0; i < 1000; i++)
		gw_loop_post(gw_loop_nth(0), touch, o);
	o = gw_obj_deref(o);
	gw_loops_stop();
	ck_assert_int_eq(destroyed, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_obj_destructor_runs_at_last_deref);
	tcase_add_test(tc, test_loop_post_runs_on_target_loop_holding_a_reference);
	tcase_add_test(tc, test_loop_pin_balances_calls_across_loops);
	tcase_add_test(tc, test_loop_stop_releases_pending_work);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
