// PTRACE_SYSEMU used by the program itself: a child asks to be traced and the parent
// emulates its getpid. Under another tracer the child's PTRACE_TRACEME fails with EPERM:
// the program must see that error, not hang, and not misbehave.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int report[2];
    pipe(report);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        long r = ptrace(PTRACE_TRACEME, 0, 0, 0);
        int err = r == 0 ? 0 : errno;
        write(report[1], &err, sizeof err);
        if (r != 0) _exit(3);
        raise(SIGSTOP);
        long pid = syscall(SYS_getpid);  // emulated by the parent: returns 4242
        _exit(pid == 4242 ? 0 : 1);
    }
    close(report[1]);
    int err = -1, st;
    read(report[0], &err, sizeof err);
    if (err != 0) {
        printf("sysemu: PTRACE_TRACEME failed: %s\n", err == EPERM ? "EPERM (already traced)" : "other error");
        waitpid(child, &st, 0);
        return err == EPERM && WIFEXITED(st) && WEXITSTATUS(st) == 3 ? 0 : 1;
    }
    waitpid(child, &st, 0);
    ptrace(PTRACE_SYSEMU, child, 0, 0);
    waitpid(child, &st, 0);  // at the getpid entry, which will not run
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, child, 0, &regs);
    if (regs.orig_rax != SYS_getpid) { printf("sysemu: stopped at %lld, not getpid\n", regs.orig_rax); kill(child, SIGKILL); return 1; }
    regs.rax = 4242;
    ptrace(PTRACE_SETREGS, child, 0, &regs);
    ptrace(PTRACE_CONT, child, 0, 0);
    waitpid(child, &st, 0);
    printf("sysemu: emulated getpid; child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
