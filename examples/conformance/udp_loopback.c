// udp_loopback: two UDP sockets on 127.0.0.1; sendto/recvfrom report the peer address.
// conformance: replayed
#include "conformance.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(a >= 0 && b >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, sb = sa, from;
    socklen_t len = sizeof sa;
    CHECK(bind(a, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(a, (struct sockaddr *)&sa, &len) == 0);
    len = sizeof sb;
    CHECK(bind(b, (struct sockaddr *)&sb, sizeof sb) == 0 && getsockname(b, (struct sockaddr *)&sb, &len) == 0);
    CHECK(sendto(a, "datagram", 8, 0, (struct sockaddr *)&sb, sizeof sb) == 8);
    char buf[16];
    len = sizeof from;
    CHECK(recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 8);
    CHECK(memcmp(buf, "datagram", 8) == 0 && from.sin_port == sa.sin_port);
    close(a);
    close(b);
    printf("udp_loopback: 8 bytes from port %d\n", ntohs(from.sin_port));
    return 0;
}
