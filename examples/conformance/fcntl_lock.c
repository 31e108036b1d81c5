// fcntl_lock: a POSIX record lock held by the parent is seen by a child with F_GETLK and F_SETLK.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    CHECK(fd >= 0);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK(fcntl(fd, F_SETLK, &fl) == 0);
    pid_t parent = getpid();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        int cfd = open(path, O_RDWR);
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
        if (fcntl(cfd, F_GETLK, &q) != 0 || q.l_type != F_WRLCK || q.l_pid != parent) _exit(1);
        q.l_type = F_WRLCK;
        if (fcntl(cfd, F_SETLK, &q) != -1 || (errno != EAGAIN && errno != EACCES)) _exit(2);
        q.l_start = 20;
        _exit(fcntl(cfd, F_SETLK, &q) == 0 ? 0 : 3);
    }
    expect_exit(c, 0);
    close(fd);
    unlink(path);
    rmdir(dir);
    printf("fcntl_lock: the child saw the parent's lock\n");
    return 0;
}
