// fork_signaled: a child killed by a signal; waitpid reports WIFSIGNALED with that signal.
// conformance: replayed
#include "conformance.h"
int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { for (;;) pause(); }
    CHECK(kill(c, SIGTERM) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    printf("fork_signaled: child %d killed by SIGTERM\n", c);
    return 0;
}
