// The DW_CFA_* interpreter (DWARF 5, 6.4.2; GNU extensions from the LSB): runs a CIE's
// initial instructions and then an FDE's instructions up to a target address, producing the
// row in effect there. All arithmetic wraps: the operands come from the file.

struct CFAMachine {
    private(set) var row: UnwindRow
    private let cie: CommonInformationEntry
    /// The register rules after the CIE's program, for DW_CFA_restore.
    private var initialRegisters: [Int: RegisterRule] = [:]
    private var saved: [(CFARule, [Int: RegisterRule])] = []

    init(cie: CommonInformationEntry, start: UInt64) {
        self.cie = cie
        row = UnwindRow(location: start, cfa: .registerOffset(register: 7, offset: 8), registers: [:],
                        returnAddressRegister: cie.returnAddressRegister, isSignalFrame: cie.isSignalFrame,
                        argumentsSize: 0)
    }

    mutating func finishInitialInstructions() {
        initialRegisters = row.registers
    }

    /// Executes instructions until the end of the cursor or, with `target`, until the next
    /// location would pass it.
    mutating func run(_ cursor: DWARFCursor, until target: UInt64?) throws(CFIError) {
        var c = cursor
        while !c.atEnd {
            let at = c.offset
            let op = try c.u8("CFA opcode")
            guard let next = try execute(op, &c, at: at) else { continue }
            if let target, target < next { return }
            row.location = next
        }
    }

    /// Executes one instruction; returns the new location for the advance instructions.
    private mutating func execute(_ op: UInt8, _ c: inout DWARFCursor, at: Int) throws(CFIError) -> UInt64? {
        let low = op & 0x3f
        switch op >> 6 {
        case 1: return advance(UInt64(low))
        case 2: set(Int(low), .offset(factored(try c.uleb("DW_CFA_offset"))))
        case 3: restore(Int(low))
        default: return try executeExtended(low, &c, at: at)
        }
        return nil
    }

    private mutating func executeExtended(_ op: UInt8, _ c: inout DWARFCursor, at: Int) throws(CFIError) -> UInt64? {
        switch op {
        case 0x00: break  // DW_CFA_nop
        case 0x01: return try c.pointer(cie.pointerEncoding, "DW_CFA_set_loc")
        case 0x02: return advance(try c.unsigned(1, "DW_CFA_advance_loc1"))
        case 0x03: return advance(try c.unsigned(2, "DW_CFA_advance_loc2"))
        case 0x04: return advance(try c.unsigned(4, "DW_CFA_advance_loc4"))
        case 0x05: set(try reg(&c, at), .offset(factored(try c.uleb("DW_CFA_offset_extended"))))
        case 0x06: restore(try reg(&c, at))
        case 0x07: set(try reg(&c, at), .undefined)
        case 0x08: set(try reg(&c, at), .sameValue)
        case 0x09: set(try reg(&c, at), .register(try reg(&c, at)))
        case 0x0a: try remember(at)
        case 0x0b: try restoreState(at)
        case 0x0c: row.cfa = .registerOffset(register: try reg(&c, at), offset: Int64(bitPattern: try c.uleb("DW_CFA_def_cfa")))
        case 0x0d: try setCFARegister(try reg(&c, at), at)
        case 0x0e: try setCFAOffset(Int64(bitPattern: try c.uleb("DW_CFA_def_cfa_offset")), at)
        case 0x0f: row.cfa = .expression(try block(&c))
        case 0x10: set(try reg(&c, at), .expression(try block(&c)))
        case 0x11: set(try reg(&c, at), .offset(factoredSigned(try c.sleb("DW_CFA_offset_extended_sf"))))
        case 0x12: row.cfa = .registerOffset(register: try reg(&c, at), offset: factoredSigned(try c.sleb("DW_CFA_def_cfa_sf")))
        case 0x13: try setCFAOffset(factoredSigned(try c.sleb("DW_CFA_def_cfa_offset_sf")), at)
        case 0x14: set(try reg(&c, at), .valueOffset(factored(try c.uleb("DW_CFA_val_offset"))))
        case 0x15: set(try reg(&c, at), .valueOffset(factoredSigned(try c.sleb("DW_CFA_val_offset_sf"))))
        case 0x16: set(try reg(&c, at), .valueExpression(try block(&c)))
        case 0x2e: row.argumentsSize = try c.uleb("DW_CFA_GNU_args_size")
        case 0x2f: set(try reg(&c, at), .offset(0 &- factored(try c.uleb("DW_CFA_GNU_negative_offset_extended"))))
        default: throw .unsupported(what: "DW_CFA opcode \(hex(UInt64(op)))", offset: at)
        }
        return nil
    }

    private func advance(_ delta: UInt64) -> UInt64 { row.location &+ delta &* cie.codeAlignment }
    private func factored(_ value: UInt64) -> Int64 { Int64(bitPattern: value) &* cie.dataAlignment }
    private func factoredSigned(_ value: Int64) -> Int64 { value &* cie.dataAlignment }

    private func reg(_ c: inout DWARFCursor, _ at: Int) throws(CFIError) -> Int {
        try registerNumber(try c.uleb("register"), offset: at)
    }

    private func block(_ c: inout DWARFCursor) throws(CFIError) -> [UInt8] {
        let length = try c.uleb("expression length")
        guard length <= UInt64(c.remaining) else { throw .truncated(what: "expression", offset: c.offset) }
        return try c.take(Int(length), "expression")
    }

    private mutating func set(_ register: Int, _ rule: RegisterRule) { row.registers[register] = rule }

    private mutating func restore(_ register: Int) { row.registers[register] = initialRegisters[register] }

    private mutating func setCFARegister(_ register: Int, _ at: Int) throws(CFIError) {
        guard case let .registerOffset(_, offset) = row.cfa else {
            throw .malformed(what: "DW_CFA_def_cfa_register with an expression CFA", offset: at)
        }
        row.cfa = .registerOffset(register: register, offset: offset)
    }

    private mutating func setCFAOffset(_ offset: Int64, _ at: Int) throws(CFIError) {
        guard case let .registerOffset(register, _) = row.cfa else {
            throw .malformed(what: "DW_CFA_def_cfa_offset with an expression CFA", offset: at)
        }
        row.cfa = .registerOffset(register: register, offset: offset)
    }

    // GCC relies on remember/restore_state covering the CFA as well (as libgcc does).
    private mutating func remember(_ at: Int) throws(CFIError) {
        guard saved.count < 256 else { throw .malformed(what: "DW_CFA_remember_state nested too deep", offset: at) }
        saved.append((row.cfa, row.registers))
    }

    private mutating func restoreState(_ at: Int) throws(CFIError) {
        guard let (cfa, registers) = saved.popLast() else {
            throw .malformed(what: "DW_CFA_restore_state without remember_state", offset: at)
        }
        row.cfa = cfa
        row.registers = registers
    }
}
