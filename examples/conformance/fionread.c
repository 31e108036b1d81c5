// fionread: FIONREAD on a pipe and a socket; FIGETBSZ and FIONREAD on a regular file.
// conformance: replayed
#include "conformance.h"
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
int main(void) {
    int p[2], sv[2], n = -1;
    CHECK(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(p[1], "12345", 5) == 5 && write(sv[0], "123", 3) == 3);
    CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 5);
    CHECK(ioctl(sv[1], FIONREAD, &n) == 0 && n == 3);
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    int bsz = 0;
    CHECK(ioctl(fd, FIGETBSZ, &bsz) == 0 && bsz > 0);
    CHECK(ioctl(fd, TIOCGWINSZ, &n) == -1 && errno == ENOTTY);
    close(fd);
    printf("fionread: pipe 5, socket 3, block size %d\n", bsz);
    return 0;
}
