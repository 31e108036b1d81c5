// unshare(CLONE_NEWNS), a private tmpfs mounted over /mnt, then an exec of a copy of this
// program placed in that tmpfs (a path that exists only in the new mount namespace).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "inside") == 0) {
        int ok = access("/mnt/vplay-marker", F_OK) == 0;
        printf("unshare_exec: running from the private mount: marker %s\n", ok ? "present" : "MISSING");
        return ok ? 0 : 1;
    }
    if (unshare(CLONE_NEWNS) != 0) { perror("unshare"); return 2; }
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("make-private"); return 2; }
    if (mount("tmpfs", "/mnt", "tmpfs", 0, "size=16m") != 0) { perror("mount tmpfs"); return 2; }
    int in = open("/proc/self/exe", O_RDONLY), out = open("/mnt/unshare_exec", O_WRONLY | O_CREAT, 0755);
    struct stat st;
    fstat(in, &st);
    if (sendfile(out, in, NULL, st.st_size) != st.st_size) { perror("copy"); return 2; }
    close(in);
    close(out);
    close(open("/mnt/vplay-marker", O_WRONLY | O_CREAT, 0644));
    char *args[] = { "unshare_exec", "inside", NULL };
    execv("/mnt/unshare_exec", args);
    perror("execv");
    return 2;
}
