// clone_stacks: clone() onto a stack the program allocated itself, after a window start; the
// child opens and reads a file (its first syscall is openat) and exits with what it found.
//   argv[1]: malloc | mmap     where the stack comes from
//   argv[2]: fork | vm | thread  a separate process, one sharing memory, or a thread
//   argv[3]: the stack's size in KiB (default 256; 4 leaves no room below the child's stack
//            pointer for the 4 KiB the recorder's window start used to borrow there)
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t thread_tid;  // cleared by the kernel when the thread ends (CLONE_CHILD_CLEARTID)
static volatile int found;

static int child(void *path) {
    char buf[32] = {0};
    int fd = openat(AT_FDCWD, (const char *)path, O_RDONLY);
    if (fd < 0) return 3;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    found = n > 0 && strncmp(buf, "Name:", 5) == 0;
    return found ? 0 : 4;
}

static int thread_main(void *path) {
    syscall(SYS_exit, child(path));  // a raw thread cannot return through glibc
    return 0;
}

int main(int argc, char **argv) {
    const size_t size = (argc > 3 ? (size_t)atoi(argv[3]) : 256) * 1024;
    const char *where = argc > 1 ? argv[1] : "mmap", *kind = argc > 2 ? argv[2] : "fork";
    char *stack = strcmp(where, "malloc") == 0
        ? malloc(size)
        : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == NULL || stack == MAP_FAILED) return 2;
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);  // with --window 0.25, a window starts after this setup
    nanosleep(&ts, NULL);
    char *top = stack + size;
    if (strcmp(kind, "thread") == 0) {
        int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
        pid_t t = clone(thread_main, top, flags, (void *)"/proc/self/status", &thread_tid, NULL, &thread_tid);
        if (t <= 0) return 2;
        while (thread_tid == t) syscall(SYS_futex, &thread_tid, FUTEX_WAIT, t, NULL, NULL, 0);
        printf("clone_stacks: thread %d %s\n", t, found ? "read the file" : "failed");
        return found ? 0 : 1;
    }
    int flags = SIGCHLD | (strcmp(kind, "vm") == 0 ? CLONE_VM : 0);
    pid_t c = clone(child, top, flags, (void *)"/proc/self/status");
    if (c <= 0) return 2;
    int st;
    if (waitpid(c, &st, 0) != c) return 2;
    printf("clone_stacks: child %d exited %d\n", c, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
