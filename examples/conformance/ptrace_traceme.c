// ptrace_traceme: a child asks PTRACE_TRACEME; natively its parent then traces it through a
// SIGSTOP; already traced (as under vplay) it gets EPERM instead. Never a hang.
// conformance: replayed
#include "conformance.h"
#include "ptrace.h"
int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        int already = tracer_of(getpid());
        errno = 0;
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(errno == EPERM && already > 0 ? 3 : 1);
        if (already != 0) _exit(2);
        raise(SIGSTOP);
        _exit(0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    if (WIFSTOPPED(st)) {
        CHECK(WSTOPSIG(st) == SIGSTOP);
        CHECK(tracer_of(c) == getpid());
        CHECK(ptrace(PTRACE_CONT, c, 0, 0) == 0);
        expect_exit(c, 0);
        printf("ptrace_traceme: traced the child through its SIGSTOP\n");
    } else {
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
        printf("ptrace_traceme: already traced, PTRACE_TRACEME failed with EPERM\n");
    }
    return 0;
}
