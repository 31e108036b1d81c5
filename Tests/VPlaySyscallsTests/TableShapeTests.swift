import Testing
@testable import VPlaySyscalls

@Suite("The table covers the x86_64 ABI")
struct TableShapeTests {
    static let assigned = Array(0 ... 336) + Array(424 ... 470)

    @Test func everyAssignedNumberHasAName() {
        for number in Self.assigned {
            #expect(!SyscallTable.name(number).hasPrefix("syscall_"), "number \(number)")
        }
    }

    @Test func unassignedNumbersAreNamedByNumberAndHaveNoSpec() {
        for number in [337, 400, 423, 471, 512, -1] {
            #expect(SyscallTable.name(number) == "syscall_\(number)")
            #expect(SyscallTable.spec(number) == nil)
        }
    }

    @Test func namesAreUnique() {
        let names = Self.assigned.map(SyscallTable.name)
        #expect(Set(names).count == names.count)
    }

    @Test func nameAndNumberAreInverse() {
        for number in Self.assigned {
            #expect(SyscallTable.number(SyscallTable.name(number)) == number)
        }
        #expect(SyscallTable.number("no_such_call") == nil)
    }

    @Test func specCarriesItsOwnNumberAndName() throws {
        for number in Self.assigned {
            let spec = try #require(SyscallTable.spec(number))
            #expect(spec.number == number)
            #expect(spec.name == SyscallTable.name(number))
        }
    }

    @Test func numbersMatchTheKernel() {
        let known: [String: Int] = [
            "read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "poll": 7, "mmap": 9, "brk": 12,
            "rt_sigaction": 13, "rt_sigreturn": 15, "ioctl": 16, "select": 23, "nanosleep": 35,
            "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "exit": 60, "wait4": 61, "kill": 62,
            "uname": 63, "fcntl": 72, "getcwd": 79, "gettimeofday": 96, "ptrace": 101, "arch_prctl": 158,
            "gettid": 186, "futex": 202, "getdents64": 217, "restart_syscall": 219, "clock_gettime": 228,
            "exit_group": 231, "epoll_wait": 232, "tgkill": 234, "openat": 257, "newfstatat": 262,
            "pselect6": 270, "ppoll": 271, "set_robust_list": 273, "epoll_pwait": 281, "accept4": 288,
            "pipe2": 293, "recvmmsg": 299, "prlimit64": 302, "sendmmsg": 307, "getrandom": 318,
            "execveat": 322, "statx": 332, "rseq": 334, "uretprobe": 335, "pidfd_send_signal": 424,
            "io_uring_setup": 425, "clone3": 435, "close_range": 436, "openat2": 437, "faccessat2": 439,
            "epoll_pwait2": 441, "futex_waitv": 449, "cachestat": 451, "fchmodat2": 452, "mseal": 462,
            "file_getattr": 468, "listns": 470,
        ]
        for (name, number) in known {
            #expect(SyscallTable.number(name) == number, "\(name)")
        }
    }

    @Test func everyEntryNamesACallOnce() {
        let names = SyscallTable.entries.map(\.name)
        #expect(Set(names).count == names.count, "duplicate entries")
        for name in names {
            #expect(SyscallTable.number(name) != nil, "entry for unknown call \(name)")
        }
    }

    @Test func everyNamedCallHasAnEntry() {
        let missing = Self.assigned.filter { SyscallTable.entry($0) == nil }.map(SyscallTable.name)
        #expect(missing.isEmpty, "no entry for \(missing)")
    }

    @Test func argumentKindsFitInSixRegisters() {
        for entry in SyscallTable.entries {
            #expect(entry.args.count <= 6, "\(entry.name)")
        }
    }
}

@Suite("Replay policies")
struct PolicyTests {
    func policy(_ name: String) -> ReplayPolicy? {
        SyscallTable.number(name).flatMap(SyscallTable.spec)?.policy
    }

    @Test func processLocalStateIsReexecuted() {
        for name in ["rt_sigaction", "rt_sigprocmask", "sigaltstack", "rt_sigreturn", "set_robust_list",
                     "arch_prctl", "exit", "exit_group"] {
            #expect(policy(name) == .reexecute, "\(name)")
        }
    }

    @Test func memoryMapChangesAreMemoryMap() {
        for name in ["mmap", "munmap", "mprotect", "mremap", "brk", "madvise", "mseal"] {
            #expect(policy(name) == .memoryMap, "\(name)")
        }
    }

    @Test func mlockAndMsyncAreEmulated() {
        for name in ["msync", "mlock", "mlock2", "munlock", "mlockall", "munlockall"] {
            #expect(policy(name) == .emulate, "\(name)")
        }
    }

    @Test func processCreationIsCloneAndExecIsExec() {
        for name in ["clone", "clone3", "fork", "vfork"] { #expect(policy(name) == .clone, "\(name)") }
        for name in ["execve", "execveat"] { #expect(policy(name) == .exec, "\(name)") }
    }

    @Test func ordinaryCallsAreEmulated() {
        for name in ["read", "openat", "futex", "kill", "tgkill", "getpid", "clock_gettime", "ioctl", "rseq"] {
            #expect(policy(name) == .emulate, "\(name)")
        }
    }

    @Test func asynchronousAndForeignWritersAreUnsupported() {
        for name in ["io_uring_setup", "io_uring_enter", "io_setup", "io_submit", "io_getevents", "shmat",
                     "shmget", "shmdt", "process_vm_readv", "process_vm_writev", "userfaultfd", "ptrace",
                     "pkey_alloc", "pkey_mprotect"] {
            guard case .unsupported(let reason) = policy(name) else {
                Issue.record("\(name) should be unsupported")
                continue
            }
            #expect(!reason.isEmpty)
        }
    }

    @Test func replayAllowListHoldsWhatReplayRunsForReal() throws {
        let allowed = Set(SyscallTable.replayAllowedNumbers)
        for name in ["rt_sigaction", "rt_sigprocmask", "sigaltstack", "rt_sigreturn", "set_robust_list",
                     "arch_prctl", "exit", "exit_group", "mmap", "munmap", "mprotect", "mremap", "brk",
                     "madvise", "clone", "clone3"] {
            #expect(allowed.contains(try #require(SyscallTable.number(name))), "\(name)")
        }
        for name in ["read", "write", "openat", "fork", "vfork", "execve", "kill", "socket", "ptrace"] {
            #expect(!allowed.contains(try #require(SyscallTable.number(name))), "\(name)")
        }
        #expect(SyscallTable.replayAllowedNumbers == SyscallTable.replayAllowedNumbers.sorted())
    }

    @Test func inputStringsArePathsAndNames() throws {
        func strings(_ name: String) throws -> [Int] {
            SyscallTable.inputStringArgs(try #require(SyscallTable.number(name)))
        }
        #expect(try strings("openat") == [1])
        #expect(try strings("execve") == [0])
        #expect(try strings("rename") == [0, 1])
        #expect(try strings("setxattr") == [0, 1])
        #expect(try strings("read") == [])
        #expect(SyscallTable.inputStringArgs(400) == [])
    }
}
