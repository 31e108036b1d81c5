// vfork_exec: vfork, and the child execs this program again, which exits with a code.
// conformance: replayed
#include "conformance.h"
int main(int argc, char **argv) {
    if (argc > 1) return atoi(argv[1]);
    char *args[] = {argv[0], "9", NULL};
    pid_t c = vfork();
    CHECK(c >= 0);
    if (c == 0) { execv("/proc/self/exe", args); _exit(127); }
    expect_exit(c, 9);
    printf("vfork_exec: exec'd child %d exited 9\n", c);
    return 0;
}
