// exec_busybox: a forked child execs a statically linked program (busybox true / false).
// conformance: replayed
#include "conformance.h"
static int run(const char *applet) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { execl("/bin/busybox", "busybox", applet, (char *)NULL); _exit(127); }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st));
    return WEXITSTATUS(st);
}
int main(void) {
    CHECK(access("/bin/busybox", X_OK) == 0);
    CHECK(run("true") == 0);
    CHECK(run("false") == 1);
    printf("exec_busybox: true 0, false 1\n");
    return 0;
}
