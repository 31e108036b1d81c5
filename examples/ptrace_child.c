// A program that wants to trace its own child (as a debugger or strace would). Under another
// tracer the child's PTRACE_TRACEME fails (EPERM): the program must get that error and go on,
// never hang. Natively it traces the child to its exit.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
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
        if (r == 0) raise(SIGSTOP);
        _exit(7);
    }
    close(report[1]);
    int err = -1;
    read(report[0], &err, sizeof err);
    int st;
    if (err == 0) {
        waitpid(child, &st, 0);  // the child's SIGSTOP, as its tracer
        if (!WIFSTOPPED(st)) { printf("ptrace_child: no stop\n"); return 1; }
        ptrace(PTRACE_CONT, child, 0, 0);
        printf("ptrace_child: traced the child to its stop\n");
    } else {
        printf("ptrace_child: PTRACE_TRACEME failed: %s\n", err == EPERM ? "EPERM (already traced)" : "other error");
        if (err != EPERM) return 1;
    }
    waitpid(child, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 7) { printf("ptrace_child: bad end 0x%x\n", st); return 1; }
    printf("ptrace_child: child exited 7\n");
    return 0;
}
