#define _GNU_SOURCE
#include "cvplay.h"
#include <errno.h>
#include <elf.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/ioctl.h>

long vp_ptrace(int request, pid_t pid, unsigned long addr, unsigned long data) {
    return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

int vp_ptrace_peek(int request, pid_t pid, unsigned long addr, unsigned long *out) {
    errno = 0;
    long v = ptrace((enum __ptrace_request)request, pid, (void *)addr, NULL);
    if (v == -1 && errno != 0) return -errno;
    *out = (unsigned long)v;
    return 0;
}

int vp_getregs(pid_t tid, struct user_regs_struct *regs) {
    return ptrace(PTRACE_GETREGS, tid, NULL, regs) == -1 ? -errno : 0;
}

int vp_setregs(pid_t tid, const struct user_regs_struct *regs) {
    return ptrace(PTRACE_SETREGS, tid, NULL, (void *)regs) == -1 ? -errno : 0;
}

int vp_getxstate(pid_t tid, void *buf, size_t *len) {
    struct iovec iov = { buf, *len };
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == -1) return -errno;
    *len = iov.iov_len;
    return 0;
}

int vp_setxstate(pid_t tid, const void *buf, size_t len) {
    struct iovec iov = { (void *)buf, len };
    return ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == -1 ? -errno : 0;
}

int vp_getsiginfo(pid_t tid, siginfo_t *info) {
    return ptrace(PTRACE_GETSIGINFO, tid, NULL, info) == -1 ? -errno : 0;
}

int vp_setsiginfo(pid_t tid, const siginfo_t *info) {
    return ptrace(PTRACE_SETSIGINFO, tid, NULL, (void *)info) == -1 ? -errno : 0;
}

int vp_set_debugreg(pid_t tid, int index, unsigned long value) {
    unsigned long off = offsetof(struct user, u_debugreg) + (unsigned long)index * sizeof(long);
    return ptrace(PTRACE_POKEUSER, tid, (void *)off, (void *)value) == -1 ? -errno : 0;
}

int vp_get_debugreg(pid_t tid, int index, unsigned long *value) {
    unsigned long off = offsetof(struct user, u_debugreg) + (unsigned long)index * sizeof(long);
    return vp_ptrace_peek(PTRACE_PEEKUSER, tid, off, value);
}

int vp_siginfo_signo(const siginfo_t *info) { return info->si_signo; }
int vp_siginfo_code(const siginfo_t *info) { return info->si_code; }
int vp_siginfo_errno(const siginfo_t *info) { return info->si_errno; }
uint64_t vp_siginfo_addr(const siginfo_t *info) { return (uint64_t)(uintptr_t)info->si_addr; }

pid_t vp_spawn_gated(const char *const argv[], int gate_read_fd, int gate_write_fd, int cpu) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof(set), &set);
        }
        close(gate_write_fd);
        char b;
        while (read(gate_read_fd, &b, 1) < 0 && errno == EINTR) {}
        close(gate_read_fd);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

// glibc registers an rseq area in TLS; once replay unmaps everything the kernel would fault
// on it at every return to user space. Unregister it in the replay shell.
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static void unregister_rseq(void) {
    if (&__rseq_offset == NULL || &__rseq_size == NULL || __rseq_size == 0) return;
    void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    if (syscall(SYS_rseq, area, 32, 1, 0x53053053) != 0)
        syscall(SYS_rseq, area, __rseq_size, 1, 0x53053053);
}

pid_t vp_spawn_traceme_stopped(void) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        // Leave nothing of the parent behind that replay does not set itself: handlers
        // (the Swift runtime installs some), the mask, the alternate stack, rseq.
        for (int sig = 1; sig < 65; sig++) signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        stack_t ss = { .ss_flags = SS_DISABLE };
        sigaltstack(&ss, NULL);
        unregister_rseq();
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        _exit(127);
    }
    return pid;
}

int vp_pin_cpu(pid_t tid, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof(set), &set) == -1 ? -errno : 0;
}

int vp_tgkill(pid_t tgid, pid_t tid, int sig) {
    return syscall(SYS_tgkill, tgid, tid, sig) == -1 ? -errno : 0;
}

uint64_t vp_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t vp_rdtscp(uint32_t *aux) {
    uint32_t lo, hi, c;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
    *aux = c;
    return ((uint64_t)hi << 32) | lo;
}

int vp_seccomp_allowlist(struct sock_filter *out, int capacity, const int *allowed, int count) {
    int n = 0;
#define EMIT(x) do { if (n >= capacity) return -1; out[n++] = (struct sock_filter)x; } while (0)
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    // -1 is a syscall the tracer cancelled; x32 numbers (bit 30) match nothing below.
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 1));
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    for (int i = 0; i < count; i++) {
        EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1));
        EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    }
    EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
#undef EMIT
    return n;
}

int vp_errno(void) { return errno; }

int vp_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1 ? -errno : 0;
}

static void exec_daemon(const char *const argv[], int keep_fd) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    // Nothing of the runtime's (its pipes, the container's stdio) may stay open in the daemon.
    for (int fd = 3; fd < 1024; fd++) if (fd != keep_fd) close(fd);
    if (chdir("/") != 0) _exit(126);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

pid_t vp_spawn_daemon(const char *const argv[], int keep_fd) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) exec_daemon(argv, keep_fd);
    return pid;
}

int vp_spawn_detached(const char *const argv[]) {
    pid_t child = fork();
    if (child < 0) return -errno;
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
        exec_daemon(argv, -1);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EAGAIN;
}

int vp_pidfd_getfd(pid_t pid, int remote_fd) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return -errno;
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0);
    int saved = errno;
    close(pidfd);
    return fd < 0 ? -saved : fd;
}

int vp_uffd_api(int fd) {
    struct uffdio_api api = {.api = UFFD_API, .features = 0};
    return ioctl(fd, UFFDIO_API, &api) == -1 ? -errno : 0;
}

int vp_uffd_register_missing(int fd, uint64_t start, uint64_t len) {
    struct uffdio_register reg = {.range = {.start = start, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    return ioctl(fd, UFFDIO_REGISTER, &reg) == -1 ? -errno : 0;
}

int vp_uffd_unregister(int fd, uint64_t start, uint64_t len) {
    struct uffdio_range range = {.start = start, .len = len};
    return ioctl(fd, UFFDIO_UNREGISTER, &range) == -1 ? -errno : 0;
}

int vp_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len) {
    struct uffdio_copy copy = {.dst = dst, .src = (uint64_t)(uintptr_t)src, .len = len, .mode = 0};
    return ioctl(fd, UFFDIO_COPY, &copy) == -1 ? -errno : 0;
}

int vp_uffd_zeropage(int fd, uint64_t dst, uint64_t len) {
    struct uffdio_zeropage zero = {.range = {.start = dst, .len = len}, .mode = 0};
    return ioctl(fd, UFFDIO_ZEROPAGE, &zero) == -1 ? -errno : 0;
}

int vp_uffd_next_fault(int fd, int timeout_ms, uint64_t *address) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    if (n == 0) return 0;
    struct uffd_msg msg;
    ssize_t r = read(fd, &msg, sizeof msg);
    if (r < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
    if (r != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT) return 0;
    *address = msg.arg.pagefault.address;
    return 1;
}

int vp_limit_cpu(pid_t pid, int seconds) {
    struct rlimit limit = {.rlim_cur = (rlim_t)seconds, .rlim_max = (rlim_t)seconds + 1};
    return prlimit(pid, RLIMIT_CPU, &limit, NULL) == -1 ? -errno : 0;
}

int vp_limit_stack(pid_t pid, unsigned long long bytes) {
    struct rlimit limit;
    if (prlimit(pid, RLIMIT_STACK, NULL, &limit) == -1) return -errno;
    limit.rlim_cur = bytes == ~0ULL ? RLIM_INFINITY : (rlim_t)bytes;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur > limit.rlim_max) limit.rlim_cur = limit.rlim_max;
    return prlimit(pid, RLIMIT_STACK, &limit, NULL) == -1 ? -errno : 0;
}

static void vp_ignore_alarm(int sig) { (void)sig; }

int vp_prepare_wakeup(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = vp_ignore_alarm;
    return sigaction(SIGALRM, &sa, NULL) == -1 ? -errno : 0;
}

int vp_wake_thread(pid_t tid) {
    return syscall(SYS_tgkill, getpid(), tid, SIGALRM) == -1 ? -errno : 0;
}

pid_t vp_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int vp_interrupt_after(int ms) {
    static __thread timer_t timer;
    static __thread int created = 0;
    if (!created) {
        if (ms <= 0) return 0;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = vp_ignore_alarm;  // no SA_RESTART: the blocking call returns EINTR
        if (sigaction(SIGALRM, &sa, NULL) == -1) return -errno;
        struct sigevent ev;
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_THREAD_ID;
        ev.sigev_signo = SIGALRM;
        ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == -1) return -errno;
        created = 1;
    }
    struct itimerspec when;
    memset(&when, 0, sizeof when);
    if (ms > 0) {
        when.it_value.tv_sec = ms / 1000;
        when.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
    }
    return timer_settime(timer, 0, &when, NULL) == -1 ? -errno : 0;
}
