// select_pipe: select() with a timeout on an empty pipe, then readable.
// conformance: replayed
#include "conformance.h"
#include <sys/select.h>
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 20000};
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_sec = 1;
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rd));
    printf("select_pipe: timeout, then readable\n");
    return 0;
}
