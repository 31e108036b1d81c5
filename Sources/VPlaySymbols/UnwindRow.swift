/// How the canonical frame address (the caller's stack pointer before the call) is computed.
public enum CFARule: Equatable, Sendable {
    /// CFA = register + offset.
    case registerOffset(register: Int, offset: Int64)
    /// CFA = value of a DWARF expression.
    case expression([UInt8])
}

/// How a register of the caller is recovered (DWARF 5, 6.4.1).
public enum RegisterRule: Equatable, Sendable {
    /// Not recoverable; for the return address it means the outermost frame.
    case undefined
    /// Unchanged by this frame.
    case sameValue
    /// Saved at CFA + n.
    case offset(Int64)
    /// Is CFA + n.
    case valueOffset(Int64)
    /// Is in another register.
    case register(Int)
    /// Saved at the address an expression computes (with the CFA pushed first).
    case expression([UInt8])
    /// Is the value an expression computes (with the CFA pushed first).
    case valueExpression([UInt8])
}

/// One row of the call-frame table: the rules in effect from `location` on.
public struct UnwindRow: Equatable, Sendable {
    /// Where the row starts (link-time address).
    public var location: UInt64
    public var cfa: CFARule
    /// Rules by DWARF register number; registers without an entry have no rule.
    public var registers: [Int: RegisterRule]
    /// The column holding the return address (16 on x86-64).
    public var returnAddressRegister: Int
    /// The FDE's CIE has the 'S' augmentation (a signal trampoline).
    public var isSignalFrame: Bool
    /// DW_CFA_GNU_args_size: bytes of outgoing arguments pushed at this point.
    public var argumentsSize: UInt64

    /// The rule for the return address; nil when the table gives none.
    public var returnAddressRule: RegisterRule? { registers[returnAddressRegister] }
}
