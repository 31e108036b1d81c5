// process_info: getrusage, uname, sysinfo, getpid/getppid/getpgrp/getsid, getcwd.
// conformance: replayed
#include "conformance.h"
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
int main(void) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 20000000; i++) x += i;
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0);
    CHECK(ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
    struct utsname u;
    CHECK(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0);
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0 && si.totalram > 0 && si.uptime > 0);
    CHECK(getpid() > 0 && getppid() > 0 && getsid(0) > 0 && getpgrp() > 0);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    printf("process_info: %s %s, maxrss %ld KB\n", u.sysname, u.machine, ru.ru_maxrss);
    return 0;
}
