// rlimit: lower RLIMIT_NOFILE and see open() fail with EMFILE; prlimit reads it back.
// conformance: replayed
#include "conformance.h"
#include <sys/resource.h>
int main(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    struct rlimit low = {16, rl.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    struct rlimit back;
    CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &back) == 0 && back.rlim_cur == 16);
    int opened = 0;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) { CHECK(errno == EMFILE); break; }
        opened++;
        CHECK(opened < 16);
    }
    printf("rlimit: %d more descriptors under a limit of 16, then EMFILE\n", opened);
    return 0;
}
