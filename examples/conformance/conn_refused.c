// conn_refused: after a listening socket is closed, connect() to its port is refused.
// conformance: replayed
#include "conformance.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 1) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(s, (struct sockaddr *)&a, sizeof a) == 0);  // accepted into the backlog
    close(s);
    CHECK(close(ls) == 0);
    s = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    CHECK(connect(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == ECONNREFUSED);
    close(s);
    printf("conn_refused: ECONNREFUSED on port %d after close\n", ntohs(a.sin_port));
    return 0;
}
