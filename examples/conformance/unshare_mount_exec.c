// unshare_mount_exec: unshare(CLONE_NEWNS), a private tmpfs mount, then execve of this program,
// which still sees the mount (mount namespaces survive exec).
// conformance: replayed
#include "conformance.h"
#include <sched.h>
#include <sys/mount.h>
int main(int argc, char **argv) {
    if (argc > 2) {
        char path[160];
        snprintf(path, sizeof path, "%s/marker", argv[2]);
        int seen = access(path, F_OK) == 0;
        umount2(argv[2], MNT_DETACH);
        rmdir(argv[2]);
        CHECK(seen);
        printf("unshare_mount_exec: the tmpfs mount is visible after execve\n");
        return 0;
    }
    char *dir = make_temp_dir();
    CHECK(unshare(CLONE_NEWNS) == 0);
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    CHECK(mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0);
    char path[160];
    snprintf(path, sizeof path, "%s/marker", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    char *args[] = {argv[0], "after-exec", dir, NULL};
    execv("/proc/self/exe", args);
    CHECK(!"execv failed");
}
