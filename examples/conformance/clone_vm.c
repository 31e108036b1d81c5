// clone_vm: clone(CLONE_VM) without CLONE_THREAD: a separate process sharing memory with its
// parent, on a malloc'd stack; it opens a file and writes the result into shared memory.
// conformance: transparent: clone_vm-PID: replay: at log event N of M: thread N entered write(0x…, 0x…) where the recording has munmap(0x…, 0x…)
#include "conformance.h"
#include <sched.h>
static volatile int result;
static int child(void *arg) {
    (void)arg;
    int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
    result = fd >= 0 ? 1234 : -1;
    if (fd >= 0) close(fd);
    return 0;
}
int main(void) {
    size_t size = 256 * 1024;
    char *stack = malloc(size);
    CHECK(stack != NULL);
    new_window();
    pid_t c = clone(child, stack + size, CLONE_VM | SIGCHLD, NULL);
    CHECK(c > 0);
    expect_exit(c, 0);
    CHECK(result == 1234);
    free(stack);
    printf("clone_vm: child %d wrote %d into shared memory\n", c, result);
    return 0;
}
