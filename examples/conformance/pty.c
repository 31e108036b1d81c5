// pty: posix_openpt/grantpt/unlockpt/ptsname; window size ioctls; bytes through the terminal.
// conformance: replayed
#include "conformance.h"
#include <sys/ioctl.h>
#include <termios.h>
int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(m >= 0);
    CHECK(grantpt(m) == 0 && unlockpt(m) == 0);
    char *name = ptsname(m);
    CHECK(name != NULL);
    int s = open(name, O_RDWR | O_NOCTTY);
    CHECK(s >= 0);
    CHECK(isatty(s));
    struct winsize ws = {.ws_row = 42, .ws_col = 132};
    CHECK(ioctl(m, TIOCSWINSZ, &ws) == 0);
    struct winsize got = {0};
    CHECK(ioctl(s, TIOCGWINSZ, &got) == 0 && got.ws_row == 42 && got.ws_col == 132);
    struct termios t;
    CHECK(tcgetattr(s, &t) == 0);
    cfmakeraw(&t);
    CHECK(tcsetattr(s, TCSANOW, &t) == 0);
    CHECK(write(m, "abc", 3) == 3);
    char buf[8];
    CHECK(read(s, buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0);
    close(s);
    close(m);
    printf("pty: %s, 42x132\n", name);
    return 0;
}
