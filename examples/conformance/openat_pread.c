// openat_pread: openat relative to a directory fd; pwrite/pread at offsets; lseek unaffected.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);
    int fd = openat(d, "data", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "world", 5, 6) == 5 && pwrite(fd, "hello ", 6, 0) == 6);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0);
    char buf[16] = {0};
    CHECK(pread(fd, buf, 11, 0) == 11 && strcmp(buf, "hello world") == 0);
    CHECK(openat(d, "data", O_RDWR | O_CREAT | O_EXCL, 0600) == -1 && errno == EEXIST);
    close(fd);
    CHECK(unlinkat(d, "data", 0) == 0);
    close(d);
    CHECK(rmdir(dir) == 0);
    printf("openat_pread: %s\n", buf);
    return 0;
}
