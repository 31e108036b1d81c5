// assert_abort: a failed assert() on a value read from a file ends in SIGABRT.
//
// Usage: assert_abort FILE   (FILE holds a number; the assertion wants a multiple of 7)
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    long value = 0;
    if (!f || fscanf(f, "%ld", &value) != 1) {
        fprintf(stderr, "assert_abort: cannot read a number from %s\n", argv[1]);
        return 2;
    }
    fclose(f);
    printf("assert_abort: value %ld\n", value);
    fflush(stdout);
    assert(value % 7 == 0 && "value must be a multiple of 7");  // abort() -> SIGABRT
    return 0;
}
