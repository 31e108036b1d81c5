import VPlayBundle
import VPlaySymbols

/// The registers of one thread at the crash.
public struct ThreadRegisters: Equatable, Sendable {
    public var tid: Int32
    public var registers: Registers
}

/// Register names for people and for JSON, in the order debuggers print them.
enum RegisterNames {
    /// (name, value) in gdb's `info registers` order.
    static func ordered(_ r: Registers) -> [(name: String, value: UInt64)] {
        [("rax", r.rax), ("rbx", r.rbx), ("rcx", r.rcx), ("rdx", r.rdx), ("rsi", r.rsi), ("rdi", r.rdi),
         ("rbp", r.rbp), ("rsp", r.rsp), ("r8", r.r8), ("r9", r.r9), ("r10", r.r10), ("r11", r.r11),
         ("r12", r.r12), ("r13", r.r13), ("r14", r.r14), ("r15", r.r15), ("rip", r.rip), ("eflags", r.eflags),
         ("cs", r.cs), ("ss", r.ss), ("ds", r.ds), ("es", r.es), ("fs", r.fs), ("gs", r.gs),
         ("fs_base", r.fsBase), ("gs_base", r.gsBase), ("orig_rax", r.origRax)]
    }

    /// The set flags of eflags, as gdb shows them: `[ ZF PF IF ]`.
    static func flags(_ eflags: UInt64) -> String {
        let names: [(UInt64, String)] = [(0x1, "CF"), (0x4, "PF"), (0x10, "AF"), (0x40, "ZF"), (0x80, "SF"),
                                         (0x100, "TF"), (0x200, "IF"), (0x400, "DF"), (0x800, "OF")]
        let set = names.filter { eflags & $0.0 != 0 }.map(\.1)
        return "[ " + set.joined(separator: " ") + (set.isEmpty ? "]" : " ]")
    }

    /// What the unwinder needs: every general-purpose register is known at the crash.
    static func unwindRegisters(_ r: Registers) -> UnwindRegisters {
        UnwindRegisters(rip: r.rip, rsp: r.rsp, rbp: r.rbp, rax: r.rax, rbx: r.rbx, rcx: r.rcx, rdx: r.rdx,
                        rsi: r.rsi, rdi: r.rdi, r8: r.r8, r9: r.r9, r10: r.r10, r11: r.r11,
                        r12: r.r12, r13: r.r13, r14: r.r14, r15: r.r15)
    }
}
