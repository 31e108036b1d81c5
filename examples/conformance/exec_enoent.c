// exec_enoent: execve() of a path that does not exist fails with ENOENT and the program goes on.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *args[] = {"nothing", NULL};
    char *env[] = {NULL};
    errno = 0;
    CHECK(execve("/nonexistent/vplay-conformance", args, env) == -1 && errno == ENOENT);
    errno = 0;
    CHECK(syscall(SYS_execveat, AT_FDCWD, "/bin/true", args, env, 0x12345678) == -1 && errno == EINVAL);
    printf("exec_enoent: ENOENT, and EINVAL for bad flags\n");
    return 0;
}
