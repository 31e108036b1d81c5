// ptrace_sysemu: the program emulates its child's getpid() with PTRACE_SYSEMU (the answer is
// 4242); a child that something else traces already gets EPERM from PTRACE_TRACEME.
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
        raise(SIGSTOP);
        long r = syscall(SYS_getpid);
        _exit(r == 4242 ? 0 : 2);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    if (WIFEXITED(st)) {
        CHECK(WEXITSTATUS(st) == 3);
        printf("ptrace_sysemu: already traced, EPERM\n");
        return 0;
    }
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    for (;;) {
        CHECK(ptrace(PTRACE_SYSEMU, c, 0, 0) == 0);
        CHECK(waitpid(c, &st, 0) == c && WIFSTOPPED(st));
        struct user_regs_struct regs;
        CHECK(ptrace(PTRACE_GETREGS, c, 0, &regs) == 0);
        if (regs.orig_rax == SYS_getpid) {
            regs.rax = 4242;
            CHECK(ptrace(PTRACE_SETREGS, c, 0, &regs) == 0);
            break;
        }
        regs.rax = (unsigned long long)-ENOSYS;  // anything else (none expected) is refused
        CHECK(ptrace(PTRACE_SETREGS, c, 0, &regs) == 0);
    }
    CHECK(ptrace(PTRACE_CONT, c, 0, 0) == 0);  // exit_group runs for real
    expect_exit(c, 0);
    printf("ptrace_sysemu: emulated getpid() returned 4242 in the child\n");
    return 0;
}
