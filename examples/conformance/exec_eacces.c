// exec_eacces: execve() of a file without execute permission fails with EACCES.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/not-executable", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10);
    close(fd);
    char *args[] = {path, NULL};
    char *env[] = {NULL};
    errno = 0;
    int r = execve(path, args, env);
    int e = errno;
    unlink(path);
    rmdir(dir);
    errno = e;
    CHECK(r == -1 && e == EACCES);
    printf("exec_eacces: EACCES\n");
    return 0;
}
