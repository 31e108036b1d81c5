// getrandom: random bytes from getrandom(); two draws differ; GRND_NONBLOCK works.
// conformance: replayed
#include "conformance.h"
#include <sys/random.h>
int main(void) {
    unsigned char a[32], b[32];
    CHECK(getrandom(a, sizeof a, 0) == sizeof a);
    CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == sizeof b);
    CHECK(memcmp(a, b, sizeof a) != 0);
    unsigned sum = 0;
    for (int i = 0; i < 32; i++) sum += a[i];
    printf("getrandom: 64 bytes, first sum %u\n", sum);
    return 0;
}
