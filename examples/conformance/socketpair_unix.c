// socketpair_unix: a Unix stream socketpair between parent and child, both directions.
// conformance: replayed
#include "conformance.h"
#include <sys/socket.h>
int main(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        close(sv[0]);
        char buf[16];
        ssize_t n = read(sv[1], buf, sizeof buf);
        if (n != 4 || memcmp(buf, "ping", 4) != 0) _exit(1);
        _exit(write(sv[1], "pong", 4) == 4 ? 0 : 2);
    }
    close(sv[1]);
    CHECK(write(sv[0], "ping", 4) == 4);
    char buf[16];
    CHECK(read(sv[0], buf, sizeof buf) == 4 && memcmp(buf, "pong", 4) == 0);
    CHECK(read(sv[0], buf, sizeof buf) == 0);  // EOF when the child is gone
    expect_exit(c, 0);
    printf("socketpair_unix: ping pong\n");
    return 0;
}
