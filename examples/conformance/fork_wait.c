// fork_wait: fork, the child computes and exits with a code; waitpid reports it.
// conformance: replayed
#include "conformance.h"
int main(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        long sum = 0;
        for (int i = 1; i <= 100; i++) sum += i;
        CHECK(write(p[1], &sum, sizeof sum) == sizeof sum);
        _exit(sum == 5050 ? 3 : 4);
    }
    long sum = 0;
    CHECK(read(p[0], &sum, sizeof sum) == sizeof sum && sum == 5050);
    expect_exit(c, 3);
    printf("fork_wait: child %d sent %ld and exited 3\n", c, sum);
    return 0;
}
