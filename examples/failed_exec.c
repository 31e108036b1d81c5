// execve that fails (ENOENT, EACCES, EFAULT) and execveat with bad flags (EINVAL) are plain
// syscalls inside a window: the program goes on, and replay answers them from the log.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int expect(const char *what, long r, int err) {
    int ok = r == -1 && errno == err;
    printf("failed_exec: %s -> %s\n", what, ok ? "as expected" : "WRONG");
    return ok;
}

int main(int argc, char **argv) {
    (void)argc;
    setvbuf(stdout, NULL, _IONBF, 0);
    char *args[] = { "nothing", NULL };
    char *env[] = { NULL };
    char plain[] = "/tmp/vplay-failed-exec-XXXXXX";
    int fd = mkstemp(plain);  // a file without execute permission
    if (fd < 0) return 2;
    close(fd);
    int ok = 1;
    ok &= expect("execve of a missing file", execve("/nonexistent/vplay-program", args, env), ENOENT);
    ok &= expect("execve of a non-executable file", execve(plain, args, env), EACCES);
    ok &= expect("execve with a bad pointer", syscall(SYS_execve, (char *)8, args, env), EFAULT);
    ok &= expect("execveat with bad flags", syscall(SYS_execveat, AT_FDCWD, argv[0], args, env, 0x7fff0000), EINVAL);
    unlink(plain);
    return ok ? 0 : 1;
}
