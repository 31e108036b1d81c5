// getdents: getdents64 lists the files made in a new directory (and . and ..).
// conformance: replayed
#include "conformance.h"
#include <dirent.h>
struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
int main(void) {
    char *dir = make_temp_dir();
    char path[160];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/f%d", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT, 0600);
        CHECK(fd >= 0);
        close(fd);
    }
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);
    char buf[4096] __attribute__((aligned(8)));
    int files = 0, dots = 0;
    long n;
    while ((n = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            if (e->d_name[0] == 'f' && e->d_type == DT_REG) files++;
            if (e->d_name[0] == '.') dots++;
            off += e->d_reclen;
        }
    }
    CHECK(n == 0);
    close(d);
    for (int i = 0; i < 5; i++) { snprintf(path, sizeof path, "%s/f%d", dir, i); unlink(path); }
    rmdir(dir);
    CHECK(files == 5 && dots == 2);
    printf("getdents: 5 files and 2 dot entries\n");
    return 0;
}
