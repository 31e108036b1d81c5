// Calls whose writes depend on a command argument or on structures in tracee memory.
// Each handler applies its own result rules; unknown commands that succeeded throw, so a
// recording never silently misses a write.

import VPlayABI

enum Irregular {
    // MARK: Processes

    static let CLONE_PIDFD: UInt64 = 0x0000_1000
    static let CLONE_PARENT_SETTID: UInt64 = 0x0010_0000

    /// The parent's tid slot (args[2]) gets the child's tid, or with CLONE_PIDFD the pidfd.
    /// CLONE_CHILD_SETTID is written by the child, in its own context: threads re-created by
    /// replay write it themselves.
    static func clone(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.result > 0,
              call.arg(0) & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 else { return [] }
        return call.region(at: call.arg(2), length: 4)
    }

    /// struct clone_args: flags @0, pidfd @8, child_tid @16, parent_tid @24 (u64 each).
    static func clone3(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.result > 0, call.arg(0) != 0 else { return [] }
        let args = try call.read(call.arg(0), 32)
        let flags = try args.u64(0)
        var regions: [WrittenRegion] = []
        if flags & CLONE_PIDFD != 0 { regions += call.region(at: try args.u64(8), length: 4) }
        if flags & CLONE_PARENT_SETTID != 0 { regions += call.region(at: try args.u64(24), length: 4) }
        return regions
    }

    /// siginfo is stored on every success (zeroed under WNOHANG with no child); the 0 result
    /// does not tell whether rusage was, so it is reported whenever the call succeeded.
    static func waitid(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        return call.region(at: call.arg(2), length: 128) + call.region(at: call.arg(4), length: 144)
    }

    static func restartSyscall(_ call: Call) throws -> [WrittenRegion] {
        throw call.unsupported(
            "its writes are those of the interrupted call; describe it with that call's number and arguments")
    }

    /// Ordinary futexes are only read by the kernel. The PI operations store the owner's tid
    /// and the waiters bit in the futex word, also when they fail or time out, and FUTEX_WAKE_OP
    /// applies its operation to the second word.
    static func futex(_ call: Call) throws -> [WrittenRegion] {
        guard call.result != -Errno.EFAULT else { return [] }
        let uaddr = call.arg(0), uaddr2 = call.arg(4)
        switch call.arg(1) & 0x7f {                      // FUTEX_CMD_MASK: without PRIVATE, CLOCK_REALTIME
        case 5: return call.succeeded ? call.region(at: uaddr2, length: 4) : []  // FUTEX_WAKE_OP
        case 6, 7, 8, 13: return call.region(at: uaddr, length: 4)              // LOCK_PI, UNLOCK_PI, TRYLOCK_PI, LOCK_PI2
        case 11, 12: return call.region(at: uaddr2, length: 4)                  // WAIT_REQUEUE_PI, CMP_REQUEUE_PI
        default: return []
        }
    }

    static func archPrctl(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let code = call.arg(0)
        switch code {
        case 0x1003, 0x1004,                              // ARCH_GET_FS, ARCH_GET_GS
             0x1021, 0x1022, 0x1024,                      // ARCH_GET_XCOMP_SUPP, _PERM, _GUEST_PERM
             0x4001, 0x4003,                              // ARCH_GET_UNTAG_MASK, ARCH_GET_MAX_TAG_BITS
             0x5005:                                      // ARCH_SHSTK_STATUS
            return call.region(at: call.arg(1), length: 8)
        case 0x1001, 0x1002,                              // ARCH_SET_GS, ARCH_SET_FS
             0x1011, 0x1012,                              // ARCH_GET_CPUID, ARCH_SET_CPUID
             0x1023, 0x1025,                              // ARCH_REQ_XCOMP_PERM, _GUEST_PERM
             0x4002, 0x4004,                              // ARCH_ENABLE_TAGGED_ADDR, ARCH_FORCE_TAGGED_SVA
             0x5002, 0x5003, 0x5004:                      // ARCH_SHSTK_DISABLE, _LOCK, _UNLOCK
            return []
        case 0x2001, 0x2002, 0x2003:                      // ARCH_MAP_VDSO_*
            throw call.unsupported("arch_prctl 0x\(hex(code)) maps a vDSO into the process")
        case 0x5001:                                      // ARCH_SHSTK_ENABLE
            throw call.unsupported("arch_prctl 0x\(hex(code)) allocates a shadow stack")
        default:
            throw call.unsupported("arch_prctl code 0x\(hex(code)) is not known to vplay")
        }
    }

    /// prctl options that store into args[1], by size.
    static let prctlWrites: [UInt32: Int] = [
        2: 4, 5: 4, 9: 4, 11: 4, 19: 4, 25: 4, 37: 4,     // PDEATHSIG UNALIGN FPEMU FPEXC ENDIAN TSC CHILD_SUBREAPER
        16: 16,                                           // PR_GET_NAME
        40: 8,                                            // PR_GET_TID_ADDRESS
    ]

    /// prctl options that write no user memory (setters, and getters that return the value).
    static let prctlNoWrites: Set<UInt32> = [
        1, 3, 4, 6, 7, 8, 10, 12, 13, 14, 15, 20, 21, 22, 23, 24, 26, 27, 28, 29, 30, 31, 32, 33, 34,
        36, 38, 39, 41, 42, 45, 46, 47, 52, 53, 57, 58, 65, 66, 67, 68, 77, 78,
        0x5356_4d41,                                      // PR_SET_VMA (names anonymous memory)
        0x5961_6d61,                                      // PR_SET_PTRACER
    ]

    static func prctl(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let option = UInt32(truncatingIfNeeded: call.arg(0))   // the kernel takes an int
        if let size = prctlWrites[option] { return call.region(at: call.arg(1), length: size) }
        if prctlNoWrites.contains(option) { return [] }
        switch option {
        case 0x4155_5856:                                 // PR_GET_AUXV: min(size, auxv) bytes, returns auxv size
            return call.region(at: call.arg(1), length: min(call.resultCount, call.length(2)))
        case 62:                                          // PR_SCHED_CORE: GET stores the cookie at args[4]
            return call.arg(1) == 0 ? call.region(at: call.arg(4), length: 8) : []
        case 35:
            throw call.unsupported("PR_SET_MM rewrites the memory-map bookkeeping of the process")
        case 59:
            throw call.unsupported("PR_SET_SYSCALL_USER_DISPATCH redirects system calls to a signal handler")
        default:
            throw call.unsupported("prctl option \(option) is not known to vplay")
        }
    }

    /// SECCOMP_GET_NOTIF_SIZES stores three u16; the other operations store nothing.
    static func seccomp(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        switch call.arg(0) {
        case 0, 1, 2: return []                           // SET_MODE_STRICT, SET_MODE_FILTER, GET_ACTION_AVAIL
        case 3: return call.region(at: call.arg(2), length: 6)
        default: throw call.unsupported("seccomp operation \(call.arg(0)) is not known to vplay")
        }
    }

    // MARK: Files

    /// Commands that store into the struct at args[2], by size.
    static let fcntlWrites: [UInt32: Int] = [
        5: 32, 36: 32,                                    // F_GETLK, F_OFD_GETLK: struct flock
        16: 8,                                            // F_GETOWN_EX: struct f_owner_ex
        17: 8,                                            // F_GETOWNER_UIDS: two uids
        1035: 8, 1037: 8,                                 // F_GET_RW_HINT, F_GET_FILE_RW_HINT
    ]

    static let fcntlNoWrites: Set<UInt32> = [
        0, 1, 2, 3, 4, 6, 7,                              // DUPFD, GETFD, SETFD, GETFL, SETFL, SETLK, SETLKW
        8, 9, 10, 11, 15,                                 // SETOWN, GETOWN, SETSIG, GETSIG, SETOWN_EX
        37, 38,                                           // F_OFD_SETLK, F_OFD_SETLKW
        1024, 1025, 1026,                                 // SETLEASE, GETLEASE, NOTIFY
        1027, 1028, 1030, 1031, 1032,                     // DUPFD_QUERY, CREATED_QUERY, DUPFD_CLOEXEC, SET/GETPIPE_SZ
        1033, 1034, 1036, 1038,                           // ADD_SEALS, GET_SEALS, SET_RW_HINT, SET_FILE_RW_HINT
    ]

    static func fcntl(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let command = UInt32(truncatingIfNeeded: call.arg(1))
        if let size = fcntlWrites[command] { return call.region(at: call.arg(2), length: size) }
        if fcntlNoWrites.contains(command) { return [] }
        throw call.unsupported("fcntl command \(command) is not known to vplay")
    }

    /// struct file_handle: handle_bytes (u32), handle_type, then handle_bytes of handle.
    /// The mount id is an int, or a u64 with AT_HANDLE_MNT_ID_UNIQUE.
    static func nameToHandleAt(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        var regions: [WrittenRegion] = []
        if call.arg(2) != 0 {
            let handleBytes = min(Int(try call.u32(at: call.arg(2))), 128)    // MAX_HANDLE_SZ
            regions += call.region(at: call.arg(2), length: 8 + handleBytes)
        }
        let mountIdSize = call.arg(4) & 0x001 != 0 ? 8 : 4
        return regions + call.region(at: call.arg(3), length: mountIdSize)
    }

    /// struct xattr_args: value pointer @0, size (u32) @8. Like getxattr, size 0 only asks.
    static func getxattrat(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.arg(4) != 0 else { return [] }
        let args = try call.read(call.arg(4), 16)
        return call.region(at: try args.u64(0), length: min(call.resultCount, Int(try args.u32(8))))
    }

    // MARK: Memory

    /// One status byte per 4 KiB page of the range.
    static func mincore(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let pages = call.arg(1) / 4096 + (call.arg(1) % 4096 == 0 ? 0 : 1)
        return call.region(at: call.arg(2), length: Int(clamping: pages))
    }

    /// The mode int, and the node mask rounded up to whole longs of maxnode - 1 bits.
    static func getMempolicy(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let maxnode = call.arg(2)
        let maskBytes = maxnode == 0 ? 0 : Int(clamping: (maxnode - 1) / 64 + ((maxnode - 1) % 64 == 0 ? 0 : 1)) * 8
        return call.region(at: call.arg(0), length: 4) + call.region(at: call.arg(1), length: maskBytes)
    }

    // MARK: Sockets

    /// optval gets the length the kernel stores back into *optlen.
    static func getsockopt(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.arg(4) != 0 else { return [] }
        let length = Int(try call.u32(at: call.arg(4)))
        return call.region(at: call.arg(3), length: length) + call.region(at: call.arg(4), length: 4)
    }

    static func recvmsg(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.arg(1) != 0 else { return [] }
        let header = try call.read(call.arg(1), MessageHeader.size)
        return try MessageHeader.regions(call, header: header, at: call.arg(1), received: call.resultCount)
    }

    /// struct mmsghdr: a msghdr, then msg_len (u32) @56; 64 bytes each.
    static func recvmmsg(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.resultCount > 0 else { return [] }
        var regions: [WrittenRegion] = []
        for index in 0 ..< min(call.resultCount, Int(clamping: call.arg(2))) {
            let address = call.arg(1) &+ UInt64(index * 64)
            let entry = try call.read(address, 64)
            let received = Int(try entry.u32(56))
            regions += try MessageHeader.regions(call, header: entry, at: address, received: received)
            regions += call.region(at: address &+ 56, length: 4)
        }
        return regions + call.region(at: call.arg(4), length: 16)  // the remaining timeout
    }

    /// Each sent message gets its msg_len.
    static func sendmmsg(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        return (0 ..< min(call.resultCount, Int(clamping: call.arg(2)))).flatMap { index in
            call.region(at: call.arg(1) &+ UInt64(index * 64 + 56), length: 4)
        }
    }

    // MARK: Waiting

    /// select and pselect6: each non-null fd_set is rewritten, nfds bits rounded up to longs.
    static func fdSets(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        let nfds = Int(Int32(truncatingIfNeeded: call.arg(0)))
        guard nfds > 0 else { return [] }
        let bytes = (nfds + 63) / 64 * 8
        return [1, 2, 3].flatMap { call.region(at: call.arg($0), length: bytes) }
    }

    // MARK: IPC (commands may carry IPC_64, 0x100)

    static func semctl(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        switch call.arg(2) & ~0x100 {
        case 2, 18, 20: return call.region(at: call.arg(3), length: 104)    // IPC_STAT, SEM_STAT(_ANY): semid64_ds
        case 3, 19: return call.region(at: call.arg(3), length: 40)         // IPC_INFO, SEM_INFO: seminfo
        case 13: throw call.unsupported("semctl GETALL writes one value per semaphore of a set of unstated size")
        default: return []
        }
    }

    static func msgctl(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        switch call.arg(1) & ~0x100 {
        case 2, 11, 13: return call.region(at: call.arg(2), length: 120)    // IPC_STAT, MSG_STAT(_ANY): msqid64_ds
        case 3, 12: return call.region(at: call.arg(2), length: 32)         // IPC_INFO, MSG_INFO: msginfo
        default: return []
        }
    }

    /// The long mtype, then `result` bytes of text (at most msgsz: MSG_NOERROR truncates).
    static func msgrcv(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded else { return [] }
        return call.region(at: call.arg(1), length: 8 + min(call.resultCount, call.length(2)))
    }

    // MARK: Credentials and the system

    /// Capability data: one 12-byte struct for version 1, two for versions 2 and 3.
    static func capget(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, call.arg(0) != 0, call.arg(1) != 0 else { return [] }
        switch try call.u32(at: call.arg(0)) {
        case 0x1998_0330: return call.region(at: call.arg(1), length: 12)
        case 0x2007_1026, 0x2008_0522: return call.region(at: call.arg(1), length: 24)
        case let version: throw call.unsupported("capability version 0x\(hex(UInt64(version))) is not known to vplay")
        }
    }

    /// Only the read actions (2, 3, 4) fill the buffer.
    static func syslog(_ call: Call) throws -> [WrittenRegion] {
        guard call.succeeded, (2 ... 4).contains(call.arg(0)) else { return [] }
        return call.region(at: call.arg(1), length: min(call.resultCount, call.length(2)))
    }
}

/// struct msghdr on x86_64 (56 bytes): name @0, namelen (u32) @8, iov @16, iovlen @24,
/// control @32, controllen @40, flags (i32) @48.
enum MessageHeader {
    static let size = 56

    /// What recvmsg stores: the source address and its length (only when a name buffer was
    /// given), the data over the iovecs, the control data with its new length, and msg_flags.
    static func regions(_ call: Call, header: RemoteBytes, at address: UInt64, received: Int) throws -> [WrittenRegion] {
        var regions: [WrittenRegion] = []
        let name = try header.u64(0)
        if name != 0 {
            regions += call.region(at: name, length: min(Int(try header.u32(8)), Out.sockaddrMax))
            regions += call.region(at: address &+ 8, length: 4)
        }
        regions += try call.spread(received, overIovecsAt: try header.u64(16), count: try header.u64(24))
        regions += call.region(at: try header.u64(32), length: Int(clamping: try header.u64(40)))
        regions += call.region(at: address &+ 40, length: 8)
        regions += call.region(at: address &+ 48, length: 4)
        return regions
    }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }
