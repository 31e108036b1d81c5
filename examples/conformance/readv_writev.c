// readv_writev: scatter/gather I/O through a pipe, and preadv2 on a file.
// conformance: replayed
#include "conformance.h"
#include <sys/uio.h>
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    struct iovec out[3] = {{"one ", 4}, {"two ", 4}, {"three", 5}};
    CHECK(writev(p[1], out, 3) == 13);
    char a[6] = {0}, b[9] = {0};
    struct iovec in[2] = {{a, 5}, {b, 8}};
    CHECK(readv(p[0], in, 2) == 13);
    CHECK(strcmp(a, "one t") == 0 && strcmp(b, "wo three") == 0);
    int fd = open("/proc/self/exe", O_RDONLY);
    char elf[4];
    struct iovec e = {elf, 4};
    CHECK(preadv2(fd, &e, 1, 0, 0) == 4 && memcmp(elf, "\177ELF", 4) == 0);
    close(fd);
    printf("readv_writev: 13 bytes gathered and scattered\n");
    return 0;
}
