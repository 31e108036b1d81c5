// pivot_root: in a child with its own mount namespace, pivot_root into a tmpfs; the parent
// cleans up the directory.
// conformance: replayed
#include "conformance.h"
#include <sched.h>
#include <sys/mount.h>
int main(void) {
    char *dir = make_temp_dir();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        CHECK(unshare(CLONE_NEWNS) == 0);
        CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        CHECK(mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0);
        char old[160];
        snprintf(old, sizeof old, "%s/old", dir);
        CHECK(mkdir(old, 0700) == 0);
        CHECK(syscall(SYS_pivot_root, dir, old) == 0);
        CHECK(chdir("/") == 0);
        CHECK(access("/old", F_OK) == 0);
        CHECK(access("/old/proc", F_OK) == 0);
        CHECK(umount2("/old", MNT_DETACH) == 0);
        CHECK(access("/old/proc", F_OK) == -1);
        _exit(0);
    }
    expect_exit(c, 0);
    CHECK(rmdir(dir) == 0);
    printf("pivot_root: the child pivoted into a tmpfs\n");
    return 0;
}
