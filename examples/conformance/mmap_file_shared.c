// mmap_file_shared: a file mapped MAP_SHARED and written through the mapping; pread sees it.
// conformance: transparent: mmap_file_shared-PID: replay: at log event N of M: thread N entered write(0x…, 0x…) where the recording has munmap(0x…, 0x…)
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/shared", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 8192) == 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    new_window();
    strcpy(m, "written through the mapping");
    strcpy(m + 4096, "second page");
    CHECK(msync(m, 8192, MS_SYNC) == 0);
    char buf[32] = {0};
    CHECK(pread(fd, buf, 27, 0) == 27 && strcmp(buf, "written through the mapping") == 0);
    CHECK(pwrite(fd, "W", 1, 0) == 1);
    CHECK(m[0] == 'W');
    size_t len = strlen(m);
    munmap(m, 8192);
    close(fd);
    unlink(path);
    rmdir(dir);
    CHECK(len == 27);
    printf("mmap_file_shared: %zu bytes through the mapping\n", len);
    return 0;
}
