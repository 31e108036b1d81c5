/// x86-64 general-purpose registers in DWARF numbering (System V psABI, 3.6.2), each
/// possibly unknown: a caller's caller-saved registers cannot be recovered.
public struct UnwindRegisters: Equatable, Sendable {
    public static let rax = 0, rdx = 1, rcx = 2, rbx = 3, rsi = 4, rdi = 5, rbp = 6, rsp = 7
    public static let r8 = 8, r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r14 = 14, r15 = 15
    /// The return-address column, which holds rip.
    public static let rip = 16
    /// Registers the callee preserves: unchanged in the caller unless CFI says otherwise.
    static let calleeSaved: Set<Int> = [rbx, rbp, r12, r13, r14, r15]
    static let count = 17

    private var values: [UInt64?]

    /// No register known.
    public init() { values = Array(repeating: nil, count: Self.count) }

    /// The registers of a stopped thread: rip and rsp at least; the rest as far as known.
    public init(rip: UInt64, rsp: UInt64, rbp: UInt64? = nil,
                rax: UInt64? = nil, rbx: UInt64? = nil, rcx: UInt64? = nil, rdx: UInt64? = nil,
                rsi: UInt64? = nil, rdi: UInt64? = nil, r8: UInt64? = nil, r9: UInt64? = nil,
                r10: UInt64? = nil, r11: UInt64? = nil, r12: UInt64? = nil, r13: UInt64? = nil,
                r14: UInt64? = nil, r15: UInt64? = nil) {
        values = [rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15, rip]
    }

    /// The register with DWARF number `number`; nil when unknown or not a general-purpose register.
    public subscript(dwarf number: Int) -> UInt64? {
        get { number >= 0 && number < Self.count ? values[number] : nil }
        set { if number >= 0 && number < Self.count { values[number] = newValue } }
    }

    public var rip: UInt64? { self[dwarf: Self.rip] }
    public var rsp: UInt64? { self[dwarf: Self.rsp] }
    public var rbp: UInt64? { self[dwarf: Self.rbp] }
}
