// random: the crash address is computed from random bytes (getrandom and /dev/urandom).
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

int main(void) {
    unsigned char a[16] = {0}, b[16] = {0};
    if (getrandom(a, sizeof a, 0) != (ssize_t)sizeof a) {
        perror("getrandom");
        return 2;
    }
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        perror("/dev/urandom");
        return 2;
    }
    close(fd);
    uint32_t mix = 0;
    for (int i = 0; i < 16; i++)
        mix = mix * 257 + (uint32_t)(a[i] ^ b[i]);
    unsigned index = mix % 4096;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + index * 8);
    printf("random: getrandom %02x%02x.., urandom %02x%02x.., writing to %p\n",
           a[0], a[1], b[0], b[1], (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
