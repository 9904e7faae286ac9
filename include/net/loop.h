/* loop: the one poll()-driven event loop that owns every socket and timer of svclink.
 * Single-threaded; callbacks run on the loop's thread and must never block. */
#ifndef SVCLINK_NET_LOOP_H
#define SVCLINK_NET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct loop loop;

/* Events are poll() bits (POLLIN, POLLOUT; POLLERR/POLLHUP are always reported). */
typedef void (*loop_fd_cb)(loop *l, int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(loop *l, void *arg);

/* A timer handle; 0 is never a valid id, so a zeroed field means "no timer". */
typedef uint64_t loop_timer_id;

/* Creates a loop (caller owns it: loop_free). NULL on OOM. */
loop *loop_new(void);
/* Frees the loop; fds are not closed (their owners close them). */
void loop_free(loop *l);

/* Milliseconds on a monotonic clock. */
uint64_t loop_now_ms(void);

/* Watches fd for events; one registration per fd. 0 or -1 (OOM, duplicate fd). */
int loop_fd_add(loop *l, int fd, short events, loop_fd_cb cb, void *arg);
/* Changes the events watched for fd; -1 when fd is not registered. */
int loop_fd_set_events(loop *l, int fd, short events);
/* Stops watching fd; safe to call from inside that fd's own callback. */
void loop_fd_remove(loop *l, int fd);

/* Runs cb once after delay_ms. Returns the timer id, 0 on OOM. */
loop_timer_id loop_timer_add(loop *l, uint64_t delay_ms, loop_timer_cb cb, void *arg);
/* Cancels a pending timer; no-op for 0, fired or unknown ids. */
void loop_timer_cancel(loop *l, loop_timer_id id);

/* One iteration: waits at most max_wait_ms (-1: until something happens) for fds or the
 * next timer, then runs due callbacks. Returns -1 when poll() fails other than EINTR. */
int loop_run_once(loop *l, int max_wait_ms);
/* Iterates until loop_stop is called. */
int loop_run(loop *l);
void loop_stop(loop *l);
bool loop_stopped(const loop *l);

#endif
