// sig_altstack: an SA_ONSTACK handler runs on the alternate stack given by sigaltstack().
// conformance: replayed
#include "conformance.h"
static char altstack[64 * 1024];
static volatile uintptr_t handler_sp;
static volatile int on_stack_flag;
static void on_usr1(int sig) {
    (void)sig;
    int local;
    handler_sp = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    on_stack_flag = cur.ss_flags & SS_ONSTACK;
}
int main(void) {
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    new_window();
    CHECK(raise(SIGUSR1) == 0);
    CHECK(handler_sp >= (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack);
    CHECK(on_stack_flag);
    printf("sig_altstack: handler ran on the alternate stack\n");
    return 0;
}
