// poll_pipe: poll() times out on an empty pipe, then reports POLLIN and POLLHUP.
// conformance: replayed
#include "conformance.h"
#include <poll.h>
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    CHECK(poll(&f, 1, 20) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(poll(&f, 1, 1000) == 1 && (f.revents & POLLIN));
    close(p[1]);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    CHECK(poll(&f, 1, 1000) == 1 && (f.revents & POLLHUP));
    printf("poll_pipe: timeout, POLLIN, POLLHUP\n");
    return 0;
}
