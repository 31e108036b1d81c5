// A thread created by a raw clone with a stack pointer into unmapped memory faults on its
// first instruction; the process dies of SIGSEGV (natively at once, and so must it when
// recorded: the recorder may not hang on a task whose first stop is a fault).
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("bad_stack_thread: starting a thread whose stack pointer is 0x1000\n");
    long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    // The child returns from the syscall into this function's code with rsp = 0x1000:
    // its first push or ret faults.
    long r = syscall(SYS_clone, flags, (void *)0x1000, NULL, NULL, 0);
    if (r < 0) { perror("clone"); return 1; }
    for (;;) pause();
}
