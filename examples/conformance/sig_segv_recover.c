// sig_segv_recover: a SIGSEGV caught by a handler that siglongjmps out; the fault address is right.
// conformance: replayed
#include "conformance.h"
#include <setjmp.h>
static sigjmp_buf env;
static volatile uintptr_t fault;
static void on_segv(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; fault = (uintptr_t)si->si_addr; siglongjmp(env, 1); }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    volatile int *bad = (int *)0x1234;
    if (sigsetjmp(env, 1) == 0) { *bad = 1; CHECK(!"no fault"); }
    CHECK(fault == 0x1234);
    printf("sig_segv_recover: recovered from a fault at %#lx\n", (unsigned long)fault);
    return 0;
}
