// vfork_exit: vfork, the child (sharing memory until it exits) writes a variable and _exits.
// conformance: transparent: vfork_exit-PID: replay: at log event N of M: thread N entered write(0x…, 0x…, 0x…, 0x…) where the recording has wait4(0x…, 0x…, 0x…, 0x…)
#include "conformance.h"
int main(void) {
    volatile int shared = 0;
    pid_t c = vfork();
    CHECK(c >= 0);
    if (c == 0) { shared = 42; _exit(5); }
    CHECK(shared == 42);  // vfork shares the address space
    expect_exit(c, 5);
    printf("vfork_exit: child wrote %d, exited 5\n", shared);
    return 0;
}
