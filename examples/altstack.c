// altstack: a SIGSEGV handler on an alternate signal stack (as Rust's runtime installs one) that
// reports and re-raises the signal with the default action. The stack is set before the window
// starts (record with a tiny --window), so replay must restore it for the handler to run there.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "altstack: SIGSEGV at %p, handled on the alternate stack\n", info->si_addr);
    write(2, msg, n);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv) {
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 3; i++) { usleep(1000); }
    volatile int *bad = (int *)(long)(0x1000 + (argc * 0x100));
    printf("altstack: storing at %p\n", (void *)bad);
    fflush(stdout);
    *bad = 1;
    return 0;
}
