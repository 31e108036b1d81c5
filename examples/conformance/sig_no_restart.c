// sig_no_restart: a read() interrupted by a handler installed without SA_RESTART fails with EINTR.
// conformance: replayed
#include "conformance.h"
#include <sys/time.h>
static volatile sig_atomic_t alarms;
static void on_alrm(int sig) { (void)sig; alarms++; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alrm;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    char buf[8];
    errno = 0;
    CHECK(read(p[0], buf, sizeof buf) == -1 && errno == EINTR);
    CHECK(alarms == 1);
    printf("sig_no_restart: read failed with EINTR\n");
    return 0;
}
