// stat_statx: stat, fstat, lstat and statx agree about a file's size, mode and inode.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128], lnk[128];
    snprintf(path, sizeof path, "%s/file", dir);
    snprintf(lnk, sizeof lnk, "%s/link", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0640);
    CHECK(fd >= 0 && write(fd, "123456789", 9) == 9);
    CHECK(symlink(path, lnk) == 0);
    struct stat s1, s2, s3;
    CHECK(stat(lnk, &s1) == 0 && fstat(fd, &s2) == 0 && lstat(lnk, &s3) == 0);
    struct statx sx;
    CHECK(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0);
    close(fd);
    unlink(lnk);
    unlink(path);
    rmdir(dir);
    CHECK(s1.st_size == 9 && s2.st_size == 9 && sx.stx_size == 9);
    CHECK(s1.st_ino == s2.st_ino && sx.stx_ino == s1.st_ino);
    CHECK((s1.st_mode & 0777) == 0640 && (sx.stx_mode & 0777) == 0640);
    CHECK(S_ISLNK(s3.st_mode));
    printf("stat_statx: size 9, mode 0640, inode %lu\n", (unsigned long)s1.st_ino);
    return 0;
}
