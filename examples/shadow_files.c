// A recorder's window-start snapshot must hold no file references: EOF, EPIPE and
// ECONNREFUSED arrive as natively, both while the program runs (after window starts) and
// after it crashes. The parent crashes at the end; the child checks what it sees and says so.
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(struct sockaddr_in *a) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = 0;
    socklen_t len = sizeof *a;
    if (l < 0 || bind(l, (void *)a, len) || getsockname(l, (void *)a, &len) || listen(l, 4)) { perror("listen"); exit(1); }
    return l;
}

static const char *refused(struct sockaddr_in *a) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int r = connect(s, (void *)a, sizeof *a);
    int e = errno;
    close(s);
    return r < 0 && e == ECONNREFUSED ? "ECONNREFUSED" : "connected";
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int a[2], b[2], d[2], sync[2];
    struct sockaddr_in la, lb;
    if (pipe(a) || pipe(b) || pipe(d) || pipe(sync)) return 1;
    int l1 = listener(&la), l2 = listener(&lb);
    pid_t child = fork();
    if (child == 0) {
        alarm(20);  // a reference held elsewhere would block us forever
        close(a[1]); close(b[1]); close(d[1]); close(sync[0]); close(l1); close(l2);
        char c;
        ssize_t n = read(a[0], &c, 1);  // the parent closes its end during the window
        printf("child: window: pipe read %s\n", n == 0 ? "EOF" : "data");
        close(b[0]);                    // the parent's write must now fail with EPIPE
        write(sync[1], "x", 1);
        usleep(300000);
        printf("child: window: listener closed: %s\n", refused(&la));
        write(sync[1], "y", 1);
        n = read(d[0], &c, 1);          // EOF only once the crashed parent is gone
        printf("child: after crash: pipe read %s\n", n == 0 ? "EOF" : "data");
        printf("child: after crash: %s\n", refused(&lb));
        return 0;
    }
    close(a[0]); close(b[0]); close(d[0]); close(sync[1]);
    usleep(300000);  // windows start (every 0.1 s when recorded with --window 0.1)
    close(a[1]);
    char c;
    read(sync[0], &c, 1);
    ssize_t w = write(b[1], "z", 1);
    printf("parent: window: write to a closed pipe: %s\n", w < 0 && errno == EPIPE ? "EPIPE" : "written");
    close(l1);
    read(sync[0], &c, 1);
    usleep(300000);
    printf("parent: crashing\n");
    *(volatile int *)16 = 1;
    return 0;
}
