// ptrace_child: the program PTRACE_SEIZEs its own child; natively it interrupts and detaches
// it; if something already traces the child (as vplay does), the error is EPERM. Never a hang.
// conformance: replayed
#include "conformance.h"
#include "ptrace.h"
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { close(p[1]); char x; _exit(read(p[0], &x, 1) == 1 ? 0 : 1); }
    close(p[0]);
    int other = tracer_of(c);
    errno = 0;
    long r = ptrace(PTRACE_SEIZE, c, 0, 0);
    if (r == 0) {
        CHECK(other == 0);
        CHECK(ptrace(PTRACE_INTERRUPT, c, 0, 0) == 0);
        int st;
        CHECK(waitpid(c, &st, 0) == c && WIFSTOPPED(st));
        struct user_regs_struct regs;
        CHECK(ptrace(PTRACE_GETREGS, c, 0, &regs) == 0);
        CHECK(ptrace(PTRACE_DETACH, c, 0, 0) == 0);
        printf("ptrace_child: seized, interrupted and detached the child\n");
    } else {
        CHECK(errno == EPERM && other > 0 && other != getpid());
        printf("ptrace_child: the child is traced by %d already: EPERM\n", other);
    }
    CHECK(write(p[1], "x", 1) == 1);
    expect_exit(c, 0);
    return 0;
}
