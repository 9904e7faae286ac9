/* loop: poll() over a dense fd array plus a binary min-heap of timers. Removal during a
 * callback only marks the slot, and slots are compacted between iterations. */
#include "net/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int fd;
    short events;
    bool removed;
    loop_fd_cb cb;
    void *arg;
} loop_watch;

typedef struct {
    uint64_t due_ms;
    loop_timer_id id; /* also breaks ties so equal due times fire in creation order */
    loop_timer_cb cb;
    void *arg;
} loop_timer;

struct loop {
    loop_watch *watches;
    size_t nwatches, capwatches;
    struct pollfd *pfds; /* rebuilt each iteration, capwatches long */
    loop_timer *heap;
    size_t nheap, capheap;
    loop_timer_id next_id;
    bool stopped;
};

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

loop *loop_new(void)
{
    loop *l = calloc(1, sizeof *l);
    if (l != NULL)
        l->next_id = 1;
    return l;
}

void loop_free(loop *l)
{
    if (l == NULL)
        return;
    free(l->watches);
    free(l->pfds);
    free(l->heap);
    free(l);
}

static loop_watch *loop_find(loop *l, int fd)
{
    for (size_t i = 0; i < l->nwatches; i++) {
        if (l->watches[i].fd == fd && !l->watches[i].removed)
            return &l->watches[i];
    }
    return NULL;
}

int loop_fd_add(loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
    if (fd < 0 || loop_find(l, fd) != NULL)
        return -1;
    if (l->nwatches == l->capwatches) {
        size_t cap = l->capwatches ? l->capwatches * 2 : 16;
        loop_watch *w = realloc(l->watches, cap * sizeof *w);
        if (w == NULL)
            return -1;
        l->watches = w;
        struct pollfd *p = realloc(l->pfds, cap * sizeof *p);
        if (p == NULL)
            return -1;
        l->pfds = p;
        l->capwatches = cap;
    }
    l->watches[l->nwatches++] = (loop_watch){.fd = fd, .events = events, .cb = cb, .arg = arg};
    return 0;
}

int loop_fd_set_events(loop *l, int fd, short events)
{
    loop_watch *w = loop_find(l, fd);
    if (w == NULL)
        return -1;
    w->events = events;
    return 0;
}

void loop_fd_remove(loop *l, int fd)
{
    loop_watch *w = loop_find(l, fd);
    if (w != NULL)
        w->removed = true;
}

static void loop_compact(loop *l)
{
    size_t out = 0;
    for (size_t i = 0; i < l->nwatches; i++) {
        if (!l->watches[i].removed)
            l->watches[out++] = l->watches[i];
    }
    l->nwatches = out;
}

static bool loop_timer_before(const loop_timer *a, const loop_timer *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->id < b->id);
}

static void loop_heap_swap(loop *l, size_t a, size_t b)
{
    loop_timer t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
}

static void loop_heap_up(loop *l, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!loop_timer_before(&l->heap[i], &l->heap[parent]))
            break;
        loop_heap_swap(l, i, parent);
        i = parent;
    }
}

static void loop_heap_down(loop *l, size_t i)
{
    for (;;) {
        size_t left = 2 * i + 1, right = left + 1, least = i;
        if (left < l->nheap && loop_timer_before(&l->heap[left], &l->heap[least]))
            least = left;
        if (right < l->nheap && loop_timer_before(&l->heap[right], &l->heap[least]))
            least = right;
        if (least == i)
            return;
        loop_heap_swap(l, i, least);
        i = least;
    }
}

static void loop_heap_remove_at(loop *l, size_t i)
{
    l->nheap--;
    if (i == l->nheap)
        return;
    l->heap[i] = l->heap[l->nheap];
    loop_heap_down(l, i);
    loop_heap_up(l, i);
}

loop_timer_id loop_timer_add(loop *l, uint64_t delay_ms, loop_timer_cb cb, void *arg)
{
    if (l->nheap == l->capheap) {
        size_t cap = l->capheap ? l->capheap * 2 : 16;
        loop_timer *h = realloc(l->heap, cap * sizeof *h);
        if (h == NULL)
            return 0;
        l->heap = h;
        l->capheap = cap;
    }
    loop_timer_id id = l->next_id++;
    l->heap[l->nheap] = (loop_timer){.due_ms = loop_now_ms() + delay_ms, .id = id, .cb = cb, .arg = arg};
    loop_heap_up(l, l->nheap);
    l->nheap++;
    return id;
}

void loop_timer_cancel(loop *l, loop_timer_id id)
{
    if (id == 0)
        return;
    /* Linear: svclink holds a few timers per cluster, and cancels are rare. */
    for (size_t i = 0; i < l->nheap; i++) {
        if (l->heap[i].id == id) {
            loop_heap_remove_at(l, i);
            return;
        }
    }
}

static void loop_run_timers(loop *l)
{
    uint64_t now = loop_now_ms();
    /* Timers added by these callbacks have larger ids but may be due now (delay 0):
     * bound the pass by the id counter at entry so a 0-delay re-arm cannot spin. */
    loop_timer_id limit = l->next_id;
    while (l->nheap > 0 && l->heap[0].due_ms <= now && l->heap[0].id < limit) {
        loop_timer t = l->heap[0];
        loop_heap_remove_at(l, 0);
        t.cb(l, t.arg);
    }
}

static int loop_timeout_ms(const loop *l, int max_wait_ms)
{
    if (l->nheap == 0)
        return max_wait_ms;
    uint64_t now = loop_now_ms();
    uint64_t due = l->heap[0].due_ms;
    uint64_t wait = due > now ? due - now : 0;
    if (wait > 0x7fffffff)
        wait = 0x7fffffff;
    if (max_wait_ms >= 0 && (uint64_t)max_wait_ms < wait)
        return max_wait_ms;
    return (int)wait;
}

int loop_run_once(loop *l, int max_wait_ms)
{
    loop_compact(l);
    size_t n = l->nwatches;
    for (size_t i = 0; i < n; i++) {
        l->pfds[i].fd = l->watches[i].fd;
        l->pfds[i].events = l->watches[i].events;
        l->pfds[i].revents = 0;
    }
    int rc = poll(l->pfds, (nfds_t)n, loop_timeout_ms(l, max_wait_ms));
    if (rc < 0 && errno != EINTR)
        return -1;
    /* Callbacks may add watches (which lands past n, and may realloc l->watches and
     * l->pfds): index, never hold pointers, and only visit the first n. */
    for (size_t i = 0; rc > 0 && i < n; i++) {
        short revents = l->pfds[i].revents;
        if (revents == 0 || l->watches[i].removed)
            continue;
        l->watches[i].cb(l, l->watches[i].fd, revents, l->watches[i].arg);
    }
    loop_run_timers(l);
    return 0;
}

int loop_run(loop *l)
{
    l->stopped = false;
    while (!l->stopped) {
        if (loop_run_once(l, -1) != 0)
            return -1;
    }
    return 0;
}

void loop_stop(loop *l)
{
    l->stopped = true;
}

bool loop_stopped(const loop *l)
{
    return l->stopped;
}
