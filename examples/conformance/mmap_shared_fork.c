// mmap_shared_fork: MAP_SHARED anonymous memory written by a forked child, read by the parent.
// conformance: transparent: mmap_shared_fork-PID: replay: at log event N of M: thread N entered write(0x…, 0x…, 0x…, 0x…) where the recording has newfstatat(0x…, 0x…, 0x…, 0x…)
#include "conformance.h"
int main(void) {
    volatile int *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    m[0] = 1;
    new_window();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { m[1] = m[0] + 99; _exit(0); }
    expect_exit(c, 0);
    CHECK(m[1] == 100);
    m[2] = m[1] * 2;
    printf("mmap_shared_fork: the child wrote %d, parent computed %d\n", m[1], m[2]);
    return 0;
}
