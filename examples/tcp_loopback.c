// tcp_loopback: a forked TCP server crashes on the bytes a client sent it.
//
// The child listens on 127.0.0.1 (port 0 = any free port), tells the parent the
// port through a pipe, accepts one connection, reads the message and crashes at an
// address derived from it. The parent connects, sends a message that differs on
// every run (its pid and the time), waits for the child and exits 0, printing how
// the child ended. Only the child crashes, so only the child gets a bundle.
// Both processes are bounded by alarm(10).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void server(int port_pipe) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&addr, &len) != 0) {
        perror("server");
        _exit(2);
    }
    unsigned short port = ntohs(addr.sin_port);
    if (write(port_pipe, &port, sizeof port) != sizeof port) _exit(2);
    close(port_pipe);

    int c = accept(ls, NULL, NULL);
    if (c < 0) {
        perror("accept");
        _exit(2);
    }
    char msg[256];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg - 1 && (n = recv(c, msg + got, sizeof msg - 1 - got, 0)) > 0)
        got += (size_t)n;
    msg[got] = 0;
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < got; i++)
        hash = (hash ^ (unsigned char)msg[i]) * 16777619u;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("tcp_loopback: server %d received \"%s\", writing to %p\n", getpid(), msg, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here, in the child
    _exit(0);
}

int main(void) {
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 2;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    alarm(10);  // never hang, in either process
    if (child == 0) {
        close(p[0]);
        server(p[1]);
    }
    close(p[1]);
    unsigned short port = 0;
    if (read(p[0], &port, sizeof port) != sizeof port) {
        fprintf(stderr, "tcp_loopback: no port from server\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        return 2;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char msg[128];
    int len = snprintf(msg, sizeof msg, "hello from %d at %ld.%09ld", getpid(), (long)ts.tv_sec, ts.tv_nsec);
    if (send(s, msg, (size_t)len, 0) != len) perror("send");
    close(s);

    int status = 0;
    if (waitpid(child, &status, 0) != child) {
        perror("waitpid");
        return 2;
    }
    if (WIFSIGNALED(status))
        printf("tcp_loopback: child %d killed by signal %d\n", child, WTERMSIG(status));
    else
        printf("tcp_loopback: child %d exited with %d\n", child, WEXITSTATUS(status));
    return 0;
}
