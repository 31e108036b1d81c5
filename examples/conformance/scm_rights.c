// scm_rights: a file descriptor passed over a Unix socket with sendmsg/recvmsg(SCM_RIGHTS).
// conformance: replayed
#include "conformance.h"
#include <sys/socket.h>
int main(void) {
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0);
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = "x", .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    CHECK(sendmsg(sv[0], &m, 0) == 1);
    char data, rbuf[CMSG_SPACE(sizeof(int))];
    struct iovec riov = {.iov_base = &data, .iov_len = 1};
    struct msghdr r = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rbuf, .msg_controllen = sizeof rbuf};
    CHECK(recvmsg(sv[1], &r, 0) == 1 && data == 'x');
    struct cmsghdr *rc = CMSG_FIRSTHDR(&r);
    CHECK(rc != NULL && rc->cmsg_type == SCM_RIGHTS);
    int fd;
    memcpy(&fd, CMSG_DATA(rc), sizeof fd);
    CHECK(fd != p[1]);
    CHECK(write(fd, "via", 3) == 3);
    char buf[4];
    CHECK(read(p[0], buf, 3) == 3 && memcmp(buf, "via", 3) == 0);
    printf("scm_rights: received fd %d writes into the pipe\n", fd);
    return 0;
}
