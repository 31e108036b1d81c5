// vfork_exit: vfork, the child (sharing memory until it exits) writes a variable and _exits.
// conformance: replayed
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
