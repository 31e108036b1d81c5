// epipe: with SIGPIPE ignored, writing to a pipe without readers fails with EPIPE.
// conformance: replayed
#include "conformance.h"
int main(void) {
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    int p[2];
    CHECK(pipe(p) == 0);
    close(p[0]);
    errno = 0;
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
    printf("epipe: EPIPE\n");
    return 0;
}
