// Thin C shim for vplay: what Swift cannot call directly. No logic lives here.
#ifndef CVPLAY_H
#define CVPLAY_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <signal.h>
#include <zstd.h>
#include <linux/filter.h>

// ptrace(2) is variadic in glibc. Returns the raw result; on failure -1 with errno set.
long vp_ptrace(int request, pid_t pid, unsigned long addr, unsigned long data);
// PTRACE_PEEKUSER/PEEKDATA: stores the word in *out; returns 0 or -errno.
int vp_ptrace_peek(int request, pid_t pid, unsigned long addr, unsigned long *out);

int vp_getregs(pid_t tid, struct user_regs_struct *regs);   // 0 or -errno
int vp_setregs(pid_t tid, const struct user_regs_struct *regs);
// NT_X86_XSTATE via PTRACE_GETREGSET. *len in: capacity, out: bytes filled.
int vp_getxstate(pid_t tid, void *buf, size_t *len);
int vp_setxstate(pid_t tid, const void *buf, size_t len);
int vp_getsiginfo(pid_t tid, siginfo_t *info);
int vp_setsiginfo(pid_t tid, const siginfo_t *info);
// Debug registers (DR0-DR7) through PTRACE_POKEUSER / PEEKUSER.
int vp_set_debugreg(pid_t tid, int index, unsigned long value);
int vp_get_debugreg(pid_t tid, int index, unsigned long *value);

// Field offsets and accessors for siginfo_t (its unions are awkward from Swift).
int vp_siginfo_signo(const siginfo_t *info);
int vp_siginfo_code(const siginfo_t *info);
int vp_siginfo_errno(const siginfo_t *info);
uint64_t vp_siginfo_addr(const siginfo_t *info);

// Forks a child that blocks until release_fd is readable, then execs argv[0] (PATH search).
// The parent seizes it in between. Optionally pins the child to cpu (>= 0).
// Returns the pid or -errno. On exec failure the child exits 127.
pid_t vp_spawn_gated(const char *const argv[], int gate_read_fd, int gate_write_fd, int cpu);
// Forks a child that does PTRACE_TRACEME and stops itself with SIGSTOP; used as an empty shell
// for replay. Returns pid or -errno.
pid_t vp_spawn_traceme_stopped(void);

int vp_pin_cpu(pid_t tid, int cpu);       // sched_setaffinity to one CPU; 0 or -errno
int vp_tgkill(pid_t tgid, pid_t tid, int sig);
uint64_t vp_rdtsc(void);
uint64_t vp_rdtscp(uint32_t *aux);

// Writes a seccomp BPF program into out (capacity in instructions) that allows the given
// syscall numbers (and the cancelled-syscall number -1) and fails every other x86_64 syscall
// with ENOSYS; a non-x86_64 ABI is killed. Returns the instruction count or -1.
int vp_seccomp_allowlist(struct sock_filter *out, int capacity, const int *allowed, int count);

// Orphaned descendants (e.g. shadows of a crashed process) are reparented to the caller.
int vp_set_child_subreaper(void);

// Starts argv[0] as a daemon: new session, stdio on /dev/null, every fd but keep_fd closed,
// cwd /. Returns its pid or -errno.
pid_t vp_spawn_daemon(const char *const argv[], int keep_fd);

// Starts argv[0] as vp_spawn_daemon does, but as nobody's child (its parent exits at once and is
// reaped here), so that no waiting for children waits for it. Returns 0 or -errno.
int vp_spawn_detached(const char *const argv[]);

// userfaultfd, driven from the tracer on an fd taken from the tracee (ioctl numbers are
// macros Swift cannot import). All return 0 or -errno.
int vp_pidfd_getfd(pid_t pid, int remote_fd);   // new fd or -errno
int vp_uffd_api(int fd);
int vp_uffd_register_missing(int fd, uint64_t start, uint64_t len);
int vp_uffd_unregister(int fd, uint64_t start, uint64_t len);
int vp_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len);
int vp_uffd_zeropage(int fd, uint64_t dst, uint64_t len);
// Waits up to timeout_ms for a message: 1 and *address for a page fault, 0 for a timeout or a
// message that is not a fault, -errno on error.
int vp_uffd_next_fault(int fd, int timeout_ms, uint64_t *address);

// RLIMIT_CPU of another process, soft and hard: the kernel kills it past `seconds`.
int vp_limit_cpu(pid_t pid, int seconds);
// Sets the soft RLIMIT_STACK of pid (~0: unlimited), capped at its hard limit. 0 or -errno.
int vp_limit_stack(pid_t pid, unsigned long long bytes);

// Interrupts the calling thread's blocking call (waitpid) with SIGALRM after `ms`
// milliseconds; 0 disarms. The first call installs a handler that does nothing, without
// SA_RESTART, so the call fails with EINTR. Returns 0 or -errno.
int vp_interrupt_after(int ms);
// Lets another thread interrupt this one's blocking call (waitpid) with SIGALRM, and does it.
int vp_prepare_wakeup(void);             // installs the SIGALRM handler (no SA_RESTART); 0 or -errno
int vp_wake_thread(pid_t tid);           // tgkill(getpid(), tid, SIGALRM); 0 or -errno
pid_t vp_gettid(void);

// errno accessor (errno is a macro in glibc).
int vp_errno(void);

#endif
