// rename_link: rename, hard link (link count 2), symlink and readlink, unlink.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char a[128], b[128], h[128], s[128], target[128];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(h, sizeof h, "%s/hard", dir);
    snprintf(s, sizeof s, "%s/sym", dir);
    int fd = open(a, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK(rename(a, b) == 0 && access(a, F_OK) == -1 && errno == ENOENT);
    CHECK(link(b, h) == 0);
    struct stat st;
    CHECK(stat(b, &st) == 0 && st.st_nlink == 2);
    CHECK(symlink("b", s) == 0);
    ssize_t n = readlink(s, target, sizeof target);
    CHECK(n == 1 && target[0] == 'b');
    CHECK(renameat2(AT_FDCWD, h, AT_FDCWD, b, RENAME_NOREPLACE) == -1 && errno == EEXIST);
    unlink(s);
    unlink(h);
    unlink(b);
    CHECK(rmdir(dir) == 0);
    printf("rename_link: renamed, linked, symlinked\n");
    return 0;
}
