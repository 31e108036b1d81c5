// prctl_name: PR_SET_NAME/PR_GET_NAME, visible in /proc/self/comm; PR_SET_PDEATHSIG round trip.
// conformance: replayed
#include "conformance.h"
#include <sys/prctl.h>
int main(void) {
    CHECK(prctl(PR_SET_NAME, "conf-renamed", 0, 0, 0) == 0);
    char name[17] = {0};
    CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, "conf-renamed") == 0);
    int fd = open("/proc/self/comm", O_RDONLY);
    char comm[32] = {0};
    CHECK(fd >= 0 && read(fd, comm, sizeof comm - 1) > 0);
    close(fd);
    CHECK(strcmp(comm, "conf-renamed\n") == 0);
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0);
    int sig = 0;
    CHECK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 && sig == SIGUSR1);
    CHECK(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) == 0);
    printf("prctl_name: %s", comm);
    return 0;
}
