// memfd: memfd_create, write(), then map it shared and read what was written; seals.
// conformance: replayed
#include "conformance.h"
int main(void) {
    int fd = memfd_create("vplay-conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(write(fd, "memfd contents", 14) == 14);
    CHECK(ftruncate(fd, 4096) == 0);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    new_window();
    CHECK(memcmp(m, "memfd contents", 14) == 0);
    m[0] = 'M';
    char c;
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 'M');
    munmap(m, 4096);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0);
    CHECK(ftruncate(fd, 8192) == -1 && errno == EPERM);
    close(fd);
    printf("memfd: shared and sealed\n");
    return 0;
}
