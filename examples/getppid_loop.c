// getppid_loop: N getppid syscalls (default 1000000), for the benchmark.
// Usage: getppid_loop [N]
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    unsigned long sum = 0;
    for (long i = 0; i < n; i++)
        sum += (unsigned long)syscall(SYS_getppid);  // always a real syscall
    printf("getppid_loop: %ld calls (sum %lu)\n", n, sum);
    return 0;
}
