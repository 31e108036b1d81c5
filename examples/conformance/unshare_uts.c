// unshare_uts: unshare(CLONE_NEWUTS) and sethostname; uname shows the new name.
// conformance: replayed
#include "conformance.h"
#include <sched.h>
#include <sys/utsname.h>
int main(void) {
    struct utsname before, after;
    CHECK(uname(&before) == 0);
    CHECK(unshare(CLONE_NEWUTS) == 0);
    CHECK(sethostname("vplay-conformance", 17) == 0);
    CHECK(uname(&after) == 0);
    CHECK(strcmp(after.nodename, "vplay-conformance") == 0);
    CHECK(strcmp(before.sysname, after.sysname) == 0);
    printf("unshare_uts: hostname %s in a new UTS namespace\n", after.nodename);
    return 0;
}
