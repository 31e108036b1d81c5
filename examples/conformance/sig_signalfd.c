// sig_signalfd: a blocked signal read from a signalfd.
// conformance: replayed
#include "conformance.h"
#include <sys/signalfd.h>
int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    struct signalfd_siginfo si;
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHECK(si.ssi_signo == SIGUSR1);
    CHECK(si.ssi_pid == (uint32_t)getpid());
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    CHECK(read(fd, &si, sizeof si) == -1 && errno == EAGAIN);
    close(fd);
    printf("sig_signalfd: read signal %u from pid %u\n", si.ssi_signo, si.ssi_pid);
    return 0;
}
