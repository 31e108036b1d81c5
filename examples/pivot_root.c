// In a new mount namespace, pivot_root into a tmpfs holding a copy of this (static) program, then
// exec it from the new root (where /proc is not mounted and the old root is gone).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "inside") == 0) {
        int ok = access("/pivot-marker", F_OK) == 0 && access("/old", F_OK) != 0;
        printf("pivot_root: in the new root: %s\n", ok ? "marker present, old root gone" : "WRONG ROOT");
        return ok ? 0 : 1;
    }
    if (unshare(CLONE_NEWNS) != 0) { perror("unshare"); return 2; }
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("make-private"); return 2; }
    char root[] = "/tmp/vplay-pivot-XXXXXX";
    if (!mkdtemp(root)) return 2;
    if (mount("tmpfs", root, "tmpfs", 0, "size=16m") != 0) { perror("mount"); return 2; }
    char path[256];
    snprintf(path, sizeof path, "%s/prog", root);
    int in = open("/proc/self/exe", O_RDONLY), out = open(path, O_WRONLY | O_CREAT, 0755);
    struct stat st;
    fstat(in, &st);
    if (sendfile(out, in, NULL, st.st_size) != st.st_size) { perror("copy"); return 2; }
    close(in);
    close(out);
    snprintf(path, sizeof path, "%s/pivot-marker", root);
    close(open(path, O_WRONLY | O_CREAT, 0644));
    snprintf(path, sizeof path, "%s/old", root);
    mkdir(path, 0700);
    if (syscall(SYS_pivot_root, root, path) != 0) { perror("pivot_root"); return 2; }
    chdir("/");
    if (umount2("/old", MNT_DETACH) != 0) { perror("umount old"); return 2; }
    rmdir("/old");
    char *args[] = { "prog", "inside", NULL };
    execv("/prog", args);
    perror("execv");
    return 2;
}
