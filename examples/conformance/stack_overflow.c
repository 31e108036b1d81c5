// stack_overflow: unbounded recursion runs into the stack guard; a SIGSEGV handler on the
// alternate stack sees a fault address just below the stack and ends the child; the parent checks.
// conformance: replayed
#include "conformance.h"
#include <sys/resource.h>
static char altstack[64 * 1024];
static volatile uintptr_t lowest;
static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    _exit(a != 0 && a < lowest + 65536 && a + 65536 > lowest ? 0 : 3);
}
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static long recurse(long n) {
    volatile char frame[1024];
    frame[0] = (char)n;
    lowest = (uintptr_t)frame;
    return recurse(n + 1) + frame[0];
}
int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        struct rlimit rl = {1024 * 1024, 1024 * 1024};
        setrlimit(RLIMIT_STACK, &rl);
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
        sigaltstack(&ss, NULL);
        struct sigaction sa = {0};
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        new_window();
        return (int)recurse(0);
    }
    expect_exit(c, 0);
    printf("stack_overflow: the child's stack overflowed into the guard and was caught\n");
    return 0;
}
