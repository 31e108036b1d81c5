// clone_own_stack: clone() without CLONE_VM on a stack the program allocated; the child
// opens a file and exits with what it read.
// conformance: replayed
#include "conformance.h"
#include <sched.h>
static int child(void *arg) {
    (void)arg;
    int fd = openat(AT_FDCWD, "/proc/self/stat", O_RDONLY);
    if (fd < 0) return 1;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return n > 0 ? 11 : 2;
}
int main(void) {
    size_t size = 256 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED);
    new_window();
    pid_t c = clone(child, stack + size, SIGCHLD, NULL);
    CHECK(c > 0);
    expect_exit(c, 11);
    printf("clone_own_stack: child %d exited 11\n", c);
    return 0;
}
