/// What a signal's si_code says about its cause (siginfo.h): the kernel's name for the code and
/// a phrase for people.
public enum SignalCodes {
    public struct Meaning: Equatable, Sendable {
        /// `SEGV_MAPERR`; nil for a code without a name.
        public var name: String?
        /// `SEGV_MAPERR: address not mapped`, or `code 42`.
        public var text: String
    }

    public static func meaning(signal: Int32, code: Int32) -> Meaning {
        guard let (name, phrase) = faultCodes[signal]?[code] ?? generalCodes[code] else {
            return Meaning(name: nil, text: "code \(code)")
        }
        return Meaning(name: name, text: "\(name): \(phrase)")
    }

    /// Codes any signal can carry (who sent it).
    static let generalCodes: [Int32: (String, String)] = [
        0: ("SI_USER", "sent by kill"), -1: ("SI_QUEUE", "sent by sigqueue"), -2: ("SI_TIMER", "timer expired"),
        -3: ("SI_MESGQ", "message queue state changed"), -4: ("SI_ASYNCIO", "asynchronous I/O completed"),
        -5: ("SI_SIGIO", "queued SIGIO"), -6: ("SI_TKILL", "sent by tkill/tgkill (abort, raise)"),
        128: ("SI_KERNEL", "sent by the kernel"),
    ]

    /// Codes of the faults the CPU raises, by signal.
    static let faultCodes: [Int32: [Int32: (String, String)]] = [
        11: [1: ("SEGV_MAPERR", "address not mapped"), 2: ("SEGV_ACCERR", "invalid permissions for the mapping"),
             3: ("SEGV_BNDERR", "failed address bound checks"), 4: ("SEGV_PKUERR", "access denied by memory protection keys"),
             128: ("SI_KERNEL", "general protection fault (e.g. a non-canonical address)")],
        7: [1: ("BUS_ADRALN", "invalid address alignment"), 2: ("BUS_ADRERR", "nonexistent physical address"),
            3: ("BUS_OBJERR", "object-specific hardware error (e.g. beyond the end of a mapped file)"),
            4: ("BUS_MCEERR_AR", "hardware memory error consumed on a machine check"),
            5: ("BUS_MCEERR_AO", "hardware memory error detected, action optional")],
        4: [1: ("ILL_ILLOPC", "illegal opcode"), 2: ("ILL_ILLOPN", "illegal operand"), 3: ("ILL_ILLADR", "illegal addressing mode"),
            4: ("ILL_ILLTRP", "illegal trap"), 5: ("ILL_PRVOPC", "privileged opcode"), 6: ("ILL_PRVREG", "privileged register"),
            7: ("ILL_COPROC", "coprocessor error"), 8: ("ILL_BADSTK", "internal stack error")],
        8: [1: ("FPE_INTDIV", "integer divide by zero"), 2: ("FPE_INTOVF", "integer overflow"),
            3: ("FPE_FLTDIV", "floating-point divide by zero"), 4: ("FPE_FLTOVF", "floating-point overflow"),
            5: ("FPE_FLTUND", "floating-point underflow"), 6: ("FPE_FLTRES", "floating-point inexact result"),
            7: ("FPE_FLTINV", "invalid floating-point operation"), 8: ("FPE_FLTSUB", "subscript out of range")],
        5: [1: ("TRAP_BRKPT", "breakpoint"), 2: ("TRAP_TRACE", "trace trap"), 3: ("TRAP_BRANCH", "branch trap"),
            4: ("TRAP_HWBKPT", "hardware breakpoint or watchpoint"), 128: ("SI_KERNEL", "int3")],
        31: [1: ("SYS_SECCOMP", "system call blocked by seccomp")],
    ]
}
