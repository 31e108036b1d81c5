// robust_mutex: a process-shared robust mutex held by a child that exits; the parent gets
// EOWNERDEAD (the kernel walks the child's robust list); get_robust_list returns ours.
// conformance: transparent: robust_mutex-PID: replay: at log event N of M: thread N entered write(0x…, 0x…, 0x…) where the recording has get_robust_list(0x…, 0x…, 0x…)
#include "conformance.h"
#include <linux/futex.h>
#include <pthread.h>
int main(void) {
    pthread_mutex_t *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    CHECK(pthread_mutex_init(m, &a) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { _exit(pthread_mutex_lock(m) == 0 ? 0 : 1); }  // exits holding it
    expect_exit(c, 0);
    CHECK(pthread_mutex_lock(m) == EOWNERDEAD);
    CHECK(pthread_mutex_consistent(m) == 0 && pthread_mutex_unlock(m) == 0);
    struct robust_list_head *head;
    size_t len;
    CHECK(syscall(SYS_get_robust_list, 0, &head, &len) == 0 && head != NULL && len == sizeof *head);
    printf("robust_mutex: EOWNERDEAD after the owner exited\n");
    return 0;
}
