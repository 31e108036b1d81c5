// Shared by the conformance programs: includes and the CHECK macro. A failed check prints
// where and why on stderr and exits 1, so a program that behaves differently under recording
// than natively ends with a non-zero status.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, __LINE__, \
                    #cond, errno, strerror(errno));                                          \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

// Waits for `pid` and checks that it exited with `code`.
static inline void expect_exit(pid_t pid, int code) {
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, __WALL)) < 0 && errno == EINTR) {}
    CHECK(r == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != code) {
        fprintf(stderr, "child %d: status 0x%x, expected exit %d\n", pid, st, code);
        exit(1);
    }
}

// A temp directory of this process, removed by the caller.
static inline char *make_temp_dir(void) {
    static char path[64];
    strcpy(path, "/tmp/vplay-conf-XXXXXX");
    char *p = mkdtemp(path);
    CHECK(p != NULL);
    return p;
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

// Lets the recorder start a new window here: the conformance harness records with
// --window 0.25, and two sleeps of 0.3 s make the next syscalls due for a window start, so
// the bundle's window begins after what the program set up before this call (replay then
// starts from memory, mappings and stacks as they were here, not from the exec).
static inline void new_window(void) {
    sleep_ms(300);
    sleep_ms(300);
}
