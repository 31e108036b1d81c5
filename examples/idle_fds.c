// Holds a pipe and a listening socket open while it idles for SECONDS (default 3) in short
// sleeps, then says "idle_fds: done" and exits 0. Used to look at a recording's window-start
// shadows from outside while the program runs.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    int p[2];
    if (pipe(p) != 0) return 2;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (l < 0 || bind(l, (void *)&a, sizeof a) != 0 || listen(l, 1) != 0) return 2;
    for (int i = 0; i < seconds * 20; i++) usleep(50000);
    printf("idle_fds: done\n");
    return 0;
}
