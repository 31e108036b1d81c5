// x86_64 general-purpose registers, as ptrace (PTRACE_GETREGS) and the bundle see them.

/// The general-purpose registers of one thread, in the kernel's `user_regs_struct` order.
public struct Registers: Codable, Equatable, Sendable {
    public var r15: UInt64 = 0, r14: UInt64 = 0, r13: UInt64 = 0, r12: UInt64 = 0
    public var rbp: UInt64 = 0, rbx: UInt64 = 0, r11: UInt64 = 0, r10: UInt64 = 0
    public var r9: UInt64 = 0, r8: UInt64 = 0, rax: UInt64 = 0, rcx: UInt64 = 0
    public var rdx: UInt64 = 0, rsi: UInt64 = 0, rdi: UInt64 = 0, origRax: UInt64 = 0
    public var rip: UInt64 = 0, cs: UInt64 = 0, eflags: UInt64 = 0, rsp: UInt64 = 0
    public var ss: UInt64 = 0, fsBase: UInt64 = 0, gsBase: UInt64 = 0
    public var ds: UInt64 = 0, es: UInt64 = 0, fs: UInt64 = 0, gs: UInt64 = 0
    public init() {}

    /// All 27 words in `user_regs_struct` order.
    public var words: [UInt64] {
        [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, origRax,
         rip, cs, eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs]
    }

    public init?(words w: [UInt64]) {
        guard w.count == 27 else { return nil }
        (r15, r14, r13, r12, rbp, rbx, r11, r10) = (w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
        (r9, r8, rax, rcx, rdx, rsi, rdi, origRax) = (w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15])
        (rip, cs, eflags, rsp, ss, fsBase, gsBase) = (w[16], w[17], w[18], w[19], w[20], w[21], w[22])
        (ds, es, fs, gs) = (w[23], w[24], w[25], w[26])
    }

    /// The user-visible general-purpose registers and pc that "same registers" compares.
    public var generalPurpose: [UInt64] {
        [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, rip, rsp]
    }

    public static let generalPurposeNames = [
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
        "rax", "rcx", "rdx", "rsi", "rdi", "rip", "rsp",
    ]

    /// Names of the general-purpose registers that differ, for divergence messages.
    public func differences(from other: Registers) -> [String] {
        zip(Registers.generalPurposeNames, zip(generalPurpose, other.generalPurpose))
            .filter { $0.1.0 != $0.1.1 }
            .map { "\($0.0)=0x\(String($0.1.0, radix: 16)) (recorded 0x\(String($0.1.1, radix: 16)))" }
    }
}
