/* Unit tests for loop: timer order and cancellation, fd readiness through a pipe, and
 * removal of an fd from inside its own callback. */
#include "net/loop.h"
#include "unit.h"

#include <poll.h>
#include <unistd.h>

static char loop_order[16];
static size_t loop_order_len;

static void loop_record(loop *l, void *arg)
{
    (void)l;
    if (loop_order_len < sizeof loop_order - 1)
        loop_order[loop_order_len++] = *(const char *)arg;
}

UNIT_TEST(loop_timers_fire_in_due_order_and_cancel)
{
    loop *l = loop_new();
    loop_order_len = 0;
    memset(loop_order, 0, sizeof loop_order);
    static const char a = 'a', b = 'b', c = 'c', d = 'd';
    /* Taken before the timers are armed: a timer is due 30 ms after its own arming, so
     * only a start no later than that arming makes ">= 30" a sound bound. */
    uint64_t start = loop_now_ms();
    loop_timer_add(l, 30, loop_record, (void *)&c);
    loop_timer_add(l, 10, loop_record, (void *)&a);
    loop_timer_id cancel = loop_timer_add(l, 20, loop_record, (void *)&d);
    loop_timer_add(l, 10, loop_record, (void *)&b);
    loop_timer_cancel(l, cancel);
    loop_timer_cancel(l, 0);
    loop_timer_cancel(l, 9999);
    while (loop_order_len < 3 && loop_now_ms() - start < 2000)
        CHECK(loop_run_once(l, 100) == 0);
    CHECK_STR_EQ(loop_order, "abc");
    CHECK(loop_now_ms() - start >= 30);
    loop_free(l);
}

static void loop_rearm_zero(loop *l, void *arg)
{
    int *count = arg;
    if (++*count < 1000)
        loop_timer_add(l, 0, loop_rearm_zero, arg);
}

UNIT_TEST(loop_zero_delay_rearm_does_not_spin_within_one_pass)
{
    loop *l = loop_new();
    int count = 0;
    loop_timer_add(l, 0, loop_rearm_zero, &count);
    CHECK(loop_run_once(l, 0) == 0);
    CHECK(count == 1);
    CHECK(loop_run_once(l, 0) == 0);
    CHECK(count == 2);
    loop_free(l);
}

typedef struct {
    int reads;
    char got;
} loop_pipe_state;

static void loop_on_readable(loop *l, int fd, short revents, void *arg)
{
    loop_pipe_state *s = arg;
    if (revents & POLLIN) {
        if (read(fd, &s->got, 1) == 1)
            s->reads++;
    }
    loop_fd_remove(l, fd);
}

UNIT_TEST(loop_fd_readiness_and_self_removal)
{
    loop *l = loop_new();
    int p[2];
    CHECK(pipe(p) == 0);
    loop_pipe_state s = {0};
    CHECK(loop_fd_add(l, p[0], POLLIN, loop_on_readable, &s) == 0);
    CHECK(loop_fd_add(l, p[0], POLLIN, loop_on_readable, &s) == -1);
    CHECK(loop_run_once(l, 0) == 0);
    CHECK(s.reads == 0);
    CHECK(write(p[1], "xy", 2) == 2);
    CHECK(loop_run_once(l, 100) == 0);
    CHECK(s.reads == 1 && s.got == 'x');
    /* Removed inside its callback: the second byte is never read. */
    CHECK(loop_run_once(l, 20) == 0);
    CHECK(s.reads == 1);
    CHECK(loop_fd_set_events(l, p[0], POLLIN) == -1);
    close(p[0]);
    close(p[1]);
    loop_free(l);
}
