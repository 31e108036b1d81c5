// Names of every x86_64 system call, indexed by number (arch/x86/entry/syscalls/syscall_64.tbl,
// Linux 6.18). Numbers 337...423 are unassigned on x86_64 (the kernel skipped them to line up
// with other architectures) and are nil. The x32 range (512...547) is not part of the 64-bit ABI.

extension SyscallTable {
    static let lastNumber = 470

    static let names: [String?] = {
        var table = [String?](repeating: nil, count: lastNumber + 1)
        for (first, run) in namedRuns {
            for (offset, name) in run.enumerated() { table[first + offset] = name }
        }
        return table
    }()

    /// Consecutive runs of names: (first number, names).
    private static let namedRuns: [(Int, [String])] = [
        (0, [
            /*   0 */ "read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap",
            /*  10 */ "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl",
            /*  17 */ "pread64", "pwrite64", "readv", "writev", "access", "pipe", "select", "sched_yield",
            /*  25 */ "mremap", "msync", "mincore", "madvise", "shmget", "shmat", "shmctl", "dup", "dup2",
            /*  34 */ "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid", "sendfile", "socket",
            /*  42 */ "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind",
            /*  50 */ "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "clone",
            /*  57 */ "fork", "vfork", "execve", "exit", "wait4", "kill", "uname", "semget", "semop", "semctl",
            /*  67 */ "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "fcntl", "flock", "fsync", "fdatasync",
            /*  76 */ "truncate", "ftruncate", "getdents", "getcwd", "chdir", "fchdir", "rename", "mkdir",
            /*  84 */ "rmdir", "creat", "link", "unlink", "symlink", "readlink", "chmod", "fchmod", "chown",
            /*  93 */ "fchown", "lchown", "umask", "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times",
            /* 101 */ "ptrace", "getuid", "syslog", "getgid", "setuid", "setgid", "geteuid", "getegid",
            /* 109 */ "setpgid", "getppid", "getpgrp", "setsid", "setreuid", "setregid", "getgroups",
            /* 116 */ "setgroups", "setresuid", "getresuid", "setresgid", "getresgid", "getpgid", "setfsuid",
            /* 123 */ "setfsgid", "getsid", "capget", "capset", "rt_sigpending", "rt_sigtimedwait",
            /* 129 */ "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "utime", "mknod", "uselib",
            /* 135 */ "personality", "ustat", "statfs", "fstatfs", "sysfs", "getpriority", "setpriority",
            /* 142 */ "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
            /* 146 */ "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock",
            /* 150 */ "munlock", "mlockall", "munlockall", "vhangup", "modify_ldt", "pivot_root", "_sysctl",
            /* 157 */ "prctl", "arch_prctl", "adjtimex", "setrlimit", "chroot", "sync", "acct", "settimeofday",
            /* 165 */ "mount", "umount2", "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl",
            /* 173 */ "ioperm", "create_module", "init_module", "delete_module", "get_kernel_syms",
            /* 178 */ "query_module", "quotactl", "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", "tuxcall",
            /* 185 */ "security", "gettid", "readahead", "setxattr", "lsetxattr", "fsetxattr", "getxattr",
            /* 192 */ "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr",
            /* 198 */ "lremovexattr", "fremovexattr", "tkill", "time", "futex", "sched_setaffinity",
            /* 204 */ "sched_getaffinity", "set_thread_area", "io_setup", "io_destroy", "io_getevents",
            /* 209 */ "io_submit", "io_cancel", "get_thread_area", "lookup_dcookie", "epoll_create",
            /* 214 */ "epoll_ctl_old", "epoll_wait_old", "remap_file_pages", "getdents64", "set_tid_address",
            /* 219 */ "restart_syscall", "semtimedop", "fadvise64", "timer_create", "timer_settime",
            /* 224 */ "timer_gettime", "timer_getoverrun", "timer_delete", "clock_settime", "clock_gettime",
            /* 229 */ "clock_getres", "clock_nanosleep", "exit_group", "epoll_wait", "epoll_ctl", "tgkill",
            /* 235 */ "utimes", "vserver", "mbind", "set_mempolicy", "get_mempolicy", "mq_open", "mq_unlink",
            /* 242 */ "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "kexec_load", "waitid",
            /* 248 */ "add_key", "request_key", "keyctl", "ioprio_set", "ioprio_get", "inotify_init",
            /* 254 */ "inotify_add_watch", "inotify_rm_watch", "migrate_pages", "openat", "mkdirat", "mknodat",
            /* 260 */ "fchownat", "futimesat", "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat",
            /* 267 */ "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll", "unshare", "set_robust_list",
            /* 274 */ "get_robust_list", "splice", "tee", "sync_file_range", "vmsplice", "move_pages",
            /* 280 */ "utimensat", "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate",
            /* 286 */ "timerfd_settime", "timerfd_gettime", "accept4", "signalfd4", "eventfd2", "epoll_create1",
            /* 292 */ "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo",
            /* 298 */ "perf_event_open", "recvmmsg", "fanotify_init", "fanotify_mark", "prlimit64",
            /* 303 */ "name_to_handle_at", "open_by_handle_at", "clock_adjtime", "syncfs", "sendmmsg", "setns",
            /* 309 */ "getcpu", "process_vm_readv", "process_vm_writev", "kcmp", "finit_module",
            /* 314 */ "sched_setattr", "sched_getattr", "renameat2", "seccomp", "getrandom", "memfd_create",
            /* 320 */ "kexec_file_load", "bpf", "execveat", "userfaultfd", "membarrier", "mlock2",
            /* 326 */ "copy_file_range", "preadv2", "pwritev2", "pkey_mprotect", "pkey_alloc", "pkey_free",
            /* 332 */ "statx", "io_pgetevents", "rseq", "uretprobe", "uprobe",
        ]),
        (424, [
            /* 424 */ "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree",
            /* 429 */ "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open", "clone3",
            /* 436 */ "close_range", "openat2", "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2",
            /* 442 */ "mount_setattr", "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule",
            /* 446 */ "landlock_restrict_self", "memfd_secret", "process_mrelease", "futex_waitv",
            /* 450 */ "set_mempolicy_home_node", "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake",
            /* 455 */ "futex_wait", "futex_requeue", "statmount", "listmount", "lsm_get_self_attr",
            /* 460 */ "lsm_set_self_attr", "lsm_list_modules", "mseal", "setxattrat", "getxattrat",
            /* 465 */ "listxattrat", "removexattrat", "open_tree_attr", "file_getattr", "file_setattr",
            /* 470 */ "listns",
        ]),
    ]
}
