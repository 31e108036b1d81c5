// sig_sa_restart: a read() interrupted by a SA_RESTART handler is restarted and gets the data.
// conformance: replayed
#include "conformance.h"
#include <sys/time.h>
static volatile sig_atomic_t alarms;
static void on_alrm(int sig) { (void)sig; alarms++; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { close(p[0]); sleep_ms(300); CHECK(write(p[1], "late", 4) == 4); _exit(0); }
    close(p[1]);
    struct itimerval it = {{0, 0}, {0, 50000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    char buf[8];
    ssize_t r = read(p[0], buf, sizeof buf);
    CHECK(r == 4 && memcmp(buf, "late", 4) == 0);
    CHECK(alarms == 1);
    expect_exit(c, 0);
    printf("sig_sa_restart: read restarted after SIGALRM, got %zd bytes\n", r);
    return 0;
}
