// For the ptrace programs: a process that vplay (or any tracer) already traces cannot be
// traced again; the kernel says EPERM. These programs accept either outcome, but check that
// it is consistent: success only when nothing traces the process, EPERM only when something does.
#include <sys/ptrace.h>
#include <sys/user.h>

// The TracerPid line of /proc/PID/status (0: not traced).
static inline int tracer_of(pid_t pid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strstr(buf, "TracerPid:");
    return p ? atoi(p + 10) : -1;
}
