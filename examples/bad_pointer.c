// bad_pointer: a pointer gets a wild value in one place and is used in another, the kind of
// crash a backtrace alone does not explain. Used by the gdb tests: reverse-continue with a
// watchpoint on `r.slot` from the crash stops in install(), where the bad value was written.
#include <stdio.h>

struct record {
    long id;
    long *slot;
};

long global_counter;
static struct record *current;

static long compute(long x) {
    long y = x * 2 + 1;
    global_counter += y;
    return y;
}

static void install(struct record *r, long value) {
    r->slot = (long *)(value & 0xfff8);  // the wild pointer is written here
    global_counter++;
}

int main(void) {
    struct record r = {1, &global_counter};
    current = &r;
    long total = 0;
    for (int i = 0; i < 3; i++) {
        total += compute(i);
        printf("bad_pointer: round %d, total %ld\n", i, total);
        fflush(stdout);
    }
    install(&r, total * 4099);
    printf("bad_pointer: installed, writing to %p\n", (void *)current->slot);
    fflush(stdout);
    *current->slot = total;  // SIGSEGV
    return 0;
}
