// dup_fds: dup, dup2 onto an open fd, dup3 with O_CLOEXEC, F_DUPFD_CLOEXEC; they share offsets.
// conformance: replayed
#include "conformance.h"
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    int a = dup(p[1]);
    CHECK(a > p[1]);
    CHECK(dup2(p[1], 20) == 20);
    CHECK(dup3(p[1], 21, O_CLOEXEC) == 21 && (fcntl(21, F_GETFD) & FD_CLOEXEC));
    CHECK(dup3(21, 21, 0) == -1 && errno == EINVAL);
    int d = fcntl(p[1], F_DUPFD_CLOEXEC, 30);
    CHECK(d >= 30);
    CHECK(write(a, "a", 1) == 1 && write(20, "b", 1) == 1 && write(21, "c", 1) == 1 && write(d, "d", 1) == 1);
    char buf[4];
    CHECK(read(p[0], buf, 4) == 4 && memcmp(buf, "abcd", 4) == 0);
    CHECK(close(20) == 0 && close(20) == -1 && errno == EBADF);
    printf("dup_fds: four descriptors, one pipe\n");
    return 0;
}
