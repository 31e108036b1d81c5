// epoll: epoll_wait on two pipes, one ready; edge-triggered reports once.
// conformance: replayed
#include "conformance.h"
#include <sys/epoll.h>
int main(void) {
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev) == 0);
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 2;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev) == 0);
    struct epoll_event out[4];
    CHECK(epoll_wait(ep, out, 4, 10) == 0);
    CHECK(write(b[1], "x", 1) == 1);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].data.u64 == 2);
    CHECK(epoll_wait(ep, out, 4, 10) == 0);  // edge-triggered: no new edge
    CHECK(write(a[1], "y", 1) == 1);
    CHECK(epoll_pwait(ep, out, 4, 1000, NULL) == 1 && out[0].data.u64 == 1);
    close(ep);
    printf("epoll: level and edge triggered\n");
    return 0;
}
