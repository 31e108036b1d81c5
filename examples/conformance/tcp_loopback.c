// tcp_loopback: a TCP server on 127.0.0.1 and a forked client; the server echoes in upper case.
// conformance: replayed
#include "conformance.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 4) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(1);
        if (write(s, "hello", 5) != 5) _exit(2);
        char buf[8];
        _exit(read(s, buf, sizeof buf) == 5 && memcmp(buf, "HELLO", 5) == 0 ? 0 : 3);
    }
    int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    CHECK(s >= 0);
    char buf[8];
    ssize_t n = read(s, buf, sizeof buf);
    CHECK(n == 5);
    for (int i = 0; i < n; i++) buf[i] = (char)toupper(buf[i]);
    CHECK(write(s, buf, n) == n);
    expect_exit(c, 0);
    close(s);
    close(ls);
    printf("tcp_loopback: echoed on port %d\n", ntohs(a.sin_port));
    return 0;
}
