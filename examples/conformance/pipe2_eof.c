// pipe2_eof: pipe2(O_CLOEXEC | O_NONBLOCK); EAGAIN while empty, data, then EOF when the writer closes.
// conformance: replayed
#include "conformance.h"
int main(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    CHECK((fcntl(p[0], F_GETFD) & FD_CLOEXEC) && (fcntl(p[0], F_GETFL) & O_NONBLOCK));
    char buf[16];
    CHECK(read(p[0], buf, sizeof buf) == -1 && errno == EAGAIN);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { close(p[0]); _exit(write(p[1], "bytes", 5) == 5 ? 0 : 1); }
    close(p[1]);
    expect_exit(c, 0);
    CHECK(read(p[0], buf, sizeof buf) == 5);
    CHECK(read(p[0], buf, sizeof buf) == 0);
    printf("pipe2_eof: EAGAIN, 5 bytes, EOF\n");
    return 0;
}
