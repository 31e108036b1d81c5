// The child the BPF logger tests record. Every call goes through syscall() so that the test
// knows the exact sequence; what the test cannot know in advance goes to the report file.
//   known_calls calls DATA_FILE REPORT_FILE   known calls, a fork, and the marked cases
//   known_calls flood COUNT FIFO              COUNT getppid, then (after a byte on FIFO) 10 more
//   known_calls threads REPORT_FILE           a second thread makes known calls and exits
//   known_calls handoff REPORT_FILE           the main thread blocks in read() until a second
//                                             thread, after a nap and 3 getppid, writes a byte
//   known_calls spin REPORT_FILE              two threads count without syscalls (one CPU: the
//                                             kernel preempts them in user mode); reports their tids
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static char buffer[8192];

static int calls(const char *data, const char *report_path)
{
    FILE *report = fopen(report_path, "w");
    if (!report)
        return 2;
    for (int i = 0; i < 100; i++)
        syscall(SYS_getppid);
    long fd = syscall(SYS_openat, AT_FDCWD, data, O_RDONLY);
    syscall(SYS_read, fd, buffer, 100);
    struct timespec now;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
    syscall(SYS_lseek, fd, 0, SEEK_SET);
    syscall(SYS_read, fd, buffer, 8192);            // more than one event holds: truncated
    syscall(SYS_lseek, fd, 0, SEEK_SET);
    struct iovec iov = { buffer, 16 };
    syscall(SYS_readv, fd, &iov, 1);                // iovecs need the tracer
    // fcntl: the command says what is written. F_GETFD writes nothing, F_GETLK the struct
    // flock it was given; a command the table does not know needs the tracer.
    syscall(SYS_fcntl, fd, F_GETFD);
    struct flock lock = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    syscall(SYS_fcntl, fd, F_GETLK, &lock);
    syscall(SYS_fcntl, fd, 0x7777, 0);
    syscall(1000);                                  // not a call: undescribed
    long page = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct timespec nap = { 0, 1000 };
    // The rule reports rem even on success; the kernel did not write it, so its page is not
    // resident and BPF's copy fails.
    syscall(SYS_nanosleep, &nap, (void *)page);
    // A socket address and its length, both stored by the kernel (loopback only).
    long sock = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    syscall(SYS_bind, sock, &address, sizeof(address));
    struct sockaddr_in bound;
    socklen_t bound_length = sizeof(bound) + 8;   // more room than the address needs
    memset(&bound, 0xee, sizeof(bound));
    syscall(SYS_getsockname, sock, &bound, &bound_length);
    long child = syscall(SYS_fork);
    if (child == 0) {
        syscall(SYS_getppid);
        syscall(SYS_getpid);
        syscall(SYS_exit_group, 7);
    }
    int status = 0;
    syscall(SYS_wait4, child, &status, 0, 0);
    fprintf(report, "%ld %ld %ld %lu %lu %ld %d %ld %lu %lu %u %lu\n", (long)now.tv_sec, (long)now.tv_nsec, fd,
            (unsigned long)buffer, (unsigned long)page, child, status, sock, (unsigned long)&bound,
            (unsigned long)&bound_length, (unsigned)ntohs(bound.sin_port), (unsigned long)&lock);
    fclose(report);
    return 0;
}

static int flood(long count, const char *fifo)
{
    for (long i = 0; i < count; i++)
        syscall(SYS_getppid);
    int gate = open(fifo, O_RDONLY);
    char byte;
    if (gate < 0 || read(gate, &byte, 1) != 1)
        return 3;
    for (int i = 0; i < 10; i++)
        syscall(SYS_getppid);
    return 0;
}

static long thread_tid;

static void *thread_body(void *unused)
{
    (void)unused;
    for (int i = 0; i < 5; i++)
        syscall(SYS_getppid);
    thread_tid = syscall(SYS_gettid);
    syscall(SYS_exit, 0);   // the thread ends inside this call
    return NULL;
}

static int threads(const char *report_path)
{
    FILE *report = fopen(report_path, "w");
    pthread_t thread;
    if (!report || pthread_create(&thread, NULL, thread_body, NULL) != 0)
        return 2;
    pthread_join(thread, NULL);
    fprintf(report, "%ld\n", thread_tid);
    fclose(report);
    return 0;
}

static int handoff_pipe[2];

static void *writer_body(void *unused)
{
    (void)unused;
    struct timespec nap = { 0, 50 * 1000 * 1000 };   // the main thread is blocked by then
    syscall(SYS_nanosleep, &nap, NULL);
    for (int i = 0; i < 3; i++)
        syscall(SYS_getppid);
    thread_tid = syscall(SYS_gettid);
    char byte = 1;
    syscall(SYS_write, handoff_pipe[1], &byte, 1);
    return NULL;
}

static int handoff(const char *report_path)
{
    FILE *report = fopen(report_path, "w");
    pthread_t thread;
    char byte;
    if (!report || pipe(handoff_pipe) != 0 || pthread_create(&thread, NULL, writer_body, NULL) != 0)
        return 2;
    if (syscall(SYS_read, handoff_pipe[0], &byte, 1) != 1)
        return 3;
    pthread_join(thread, NULL);
    fprintf(report, "%ld %d\n", thread_tid, handoff_pipe[0]);
    fclose(report);
    return 0;
}

static volatile unsigned long spun[2];
static long spinner_tids[2];

static void spin_for(int slot)
{
    for (unsigned long n = 0; n < 40000000UL; n++)
        spun[slot]++;
}

static void *spinner(void *arg)
{
    int slot = (int)(long)arg;
    spinner_tids[slot] = syscall(SYS_gettid);
    spin_for(slot);
    return NULL;
}

static int spin(const char *report_path)
{
    FILE *report = fopen(report_path, "w");
    pthread_t a, b;
    if (!report || pthread_create(&a, NULL, spinner, (void *)0) != 0 || pthread_create(&b, NULL, spinner, (void *)1) != 0)
        return 2;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    fprintf(report, "%ld %ld\n", spinner_tids[0], spinner_tids[1]);
    fclose(report);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "spin") == 0)
        return spin(argv[2]);
    if (argc == 3 && strcmp(argv[1], "handoff") == 0)
        return handoff(argv[2]);
    if (argc == 3 && strcmp(argv[1], "threads") == 0)
        return threads(argv[2]);
    if (argc == 4 && strcmp(argv[1], "calls") == 0)
        return calls(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "flood") == 0)
        return flood(atol(argv[2]), argv[3]);
    fprintf(stderr, "usage: known_calls calls DATA REPORT | flood COUNT FIFO | threads REPORT | handoff REPORT | spin REPORT\n");
    return 1;
}
