// strace-like text for a logged call, driven by the table's argument kinds: the same table that
// drives recording and replay decodes the log for people.

public enum SyscallFormatter {
    /// `openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = 3`. `strings` are the logged input strings
    /// (in argument order); `written` is what the kernel wrote, by address, to show buffers read.
    public static func describe(number: Int, args: [UInt64], strings: [String], result: Int64?,
                                written: [(address: UInt64, bytes: [UInt8])] = []) -> String {
        let kinds = SyscallTable.spec(number)?.args ?? Array(repeating: .uint, count: min(args.count, 6))
        var pendingStrings = strings[...]
        var parts: [String] = []
        var openFlags: UInt64?
        for (i, kind) in kinds.enumerated() where i < args.count {
            let v = args[i]
            switch kind {
            case .flags("mode") where openFlags.map(ignoresMode) ?? false:
                // The kernel reads the mode only to create a file; strace leaves it out otherwise.
                continue
            case .path, .string:
                parts.append(v == 0 ? "NULL" : quote(Array((pendingStrings.popFirst() ?? "").utf8), limit: 256))
            case .pointer:
                if let w = written.first(where: { $0.address == v }), !w.bytes.isEmpty {
                    // Text reads as a string; a struct (stat, timespec) as its size.
                    let printable = w.bytes.filter { $0 >= 0x20 && $0 < 0x7f || $0 == 0x0a || $0 == 0x09 }.count
                    parts.append(printable * 2 >= w.bytes.count ? quote(w.bytes, limit: 32) : "{\(w.bytes.count) bytes}")
                } else {
                    parts.append(v == 0 ? "NULL" : "0x" + String(v, radix: 16))
                }
            case .fd:
                let fd = Int32(truncatingIfNeeded: v)
                parts.append(fd == -100 ? "AT_FDCWD" : String(fd))
            case .int, .pid, .offset:
                parts.append(String(Int64(bitPattern: v)))
            case .uint:
                parts.append(String(v))
            case .signal:
                parts.append(SignalNames.known(Int32(truncatingIfNeeded: v)) ?? String(Int32(truncatingIfNeeded: v)))
            case .flags(let set):
                if set == "open" { openFlags = v }
                parts.append(flags(set, v))
            }
        }
        let call = "\(SyscallTable.name(number))(\(parts.joined(separator: ", ")))"
        guard let result else { return call + " = ?" }
        return call + " = " + resultText(number, result)
    }

    /// Open flags without O_CREAT or O_TMPFILE: the mode argument means nothing.
    static func ignoresMode(_ openFlags: UInt64) -> Bool {
        openFlags & 0o100 == 0 && openFlags & 0o20000000 == 0
    }

    static func resultText(_ number: Int, _ result: Int64) -> String {
        if result < 0 && result > -4096 {
            let e = Int(-result)
            return "-1 \(errnoNames[e] ?? "errno \(e)")"
        }
        // Addresses read better in hex.
        if [9, 12, 25].contains(number) { return "0x" + String(UInt64(bitPattern: result), radix: 16) }
        return String(result)
    }

    static func quote(_ bytes: [UInt8], limit: Int) -> String {
        var s = "\""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x0a: s += "\\n"
            case 0x09: s += "\\t"
            case 0x22: s += "\\\""
            case 0x5c: s += "\\\\"
            case 0x20...0x7e: s += String(UnicodeScalar(b))
            default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return s + "\"" + (bytes.count > limit ? "..." : "")
    }

    static func flags(_ set: String, _ v: UInt64) -> String {
        switch set {
        case "open":
            let access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][Int(v & 3)]
            return ([access] + bits(v & ~3, openBits)).joined(separator: "|")
        case "prot":
            return v == 0 ? "PROT_NONE" : bits(v, [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")]).joined(separator: "|")
        case "mmap":
            let kind = ["0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"][Int(v & 3)]
            return ([kind] + bits(v & ~3, mmapBits)).joined(separator: "|")
        case "mode":
            return "0" + String(v, radix: 8)
        default:
            return "0x" + String(v, radix: 16)
        }
    }

    /// Named bits of `v`, then any unnamed rest in hex.
    static func bits(_ v: UInt64, _ names: [(UInt64, String)]) -> [String] {
        var rest = v
        var out: [String] = []
        for (bit, name) in names where v & bit == bit && bit != 0 {
            out.append(name)
            rest &= ~bit
        }
        if rest != 0 { out.append("0x" + String(rest, radix: 16)) }
        return out
    }

    static let openBits: [(UInt64, String)] = [
        (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"), (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o2000000, "O_CLOEXEC"),
        (0o10000000, "O_PATH"), (0o20200000, "O_TMPFILE"),
    ]
    static let mmapBits: [(UInt64, String)] = [
        (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"),
        (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x20000, "MAP_STACK"), (0x100000, "MAP_FIXED_NOREPLACE"),
    ]

    static let errnoNames: [Int: String] = [
        1: "EPERM (Operation not permitted)", 2: "ENOENT (No such file or directory)", 3: "ESRCH (No such process)",
        4: "EINTR (Interrupted system call)", 5: "EIO (Input/output error)", 9: "EBADF (Bad file descriptor)",
        10: "ECHILD (No child processes)", 11: "EAGAIN (Resource temporarily unavailable)",
        12: "ENOMEM (Cannot allocate memory)", 13: "EACCES (Permission denied)", 14: "EFAULT (Bad address)",
        17: "EEXIST (File exists)", 20: "ENOTDIR (Not a directory)", 21: "EISDIR (Is a directory)",
        22: "EINVAL (Invalid argument)", 25: "ENOTTY (Inappropriate ioctl for device)", 28: "ENOSPC (No space left on device)",
        32: "EPIPE (Broken pipe)", 38: "ENOSYS (Function not implemented)", 110: "ETIMEDOUT (Connection timed out)",
        111: "ECONNREFUSED (Connection refused)", 115: "EINPROGRESS (Operation now in progress)",
        512: "ERESTARTSYS (To be restarted)", 513: "ERESTARTNOINTR (To be restarted)",
        514: "ERESTARTNOHAND (To be restarted if no handler)", 516: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
    ]
}

/// Names of the standard signals, for errors, manifests and decoded logs.
public enum SignalNames {
    static let names = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
                        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
                        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
                        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"]

    /// The name of a standard signal, nil for real-time and invalid numbers.
    public static func known(_ signal: Int32) -> String? {
        signal > 0 && Int(signal) < names.count ? names[Int(signal)] : nil
    }
}

/// "SIGSEGV"; "SIG34" for signals without a name.
public func signalName(_ signal: Int32) -> String {
    SignalNames.known(signal) ?? "SIG\(signal)"
}
