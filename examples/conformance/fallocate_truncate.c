// fallocate_truncate: fallocate grows a file, ftruncate/truncate shrink it, a hole reads as zeros.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    CHECK(fd >= 0);
    CHECK(fallocate(fd, 0, 0, 65536) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 65536);
    CHECK(ftruncate(fd, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100);
    CHECK(truncate(path, 10) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
    CHECK(pwrite(fd, "x", 1, 20) == 1);
    char buf[21];
    CHECK(pread(fd, buf, 21, 0) == 21 && buf[15] == 0 && buf[20] == 'x');
    close(fd);
    unlink(path);
    rmdir(dir);
    printf("fallocate_truncate: 65536 -> 100 -> 10 -> 21 bytes\n");
    return 0;
}
