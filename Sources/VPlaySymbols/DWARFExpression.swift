// A DWARF expression evaluator (DWARF 5, 2.5) for the expressions call-frame information
// uses: PLT entries compute their CFA from rsp and rip, signal trampolines locate every
// saved register in the kernel's sigcontext. Register-location ops (DW_OP_reg*) and the
// typed/TLS/entry-value ops have no meaning there and are reported as unsupported.

/// Why an expression or a rule could not be evaluated.
enum EvaluationError: Error {
    case cfi(CFIError)
    case unknownRegister(Int)
    case unreadableMemory(UInt64)
}

struct DWARFExpression {
    let code: [UInt8]
    /// The value of a DWARF register of the frame, nil when unknown.
    let register: (Int) -> UInt64?
    /// `count` (1...8) bytes at an address, zero-extended; nil when unreadable.
    let memory: (UInt64, Int) -> UInt64?

    private static let maxSteps = 10_000
    private static let maxStack = 1_000

    /// Runs the expression with `initial` on the stack and returns the top of the stack.
    func evaluate(initial: [UInt64] = []) throws(EvaluationError) -> UInt64 {
        var state = State(cursor: DWARFCursor(code), stack: initial)
        var steps = 0
        while !state.cursor.atEnd {
            steps += 1
            guard steps <= Self.maxSteps, state.stack.count <= Self.maxStack else {
                throw .cfi(.malformed(what: "expression does not terminate", offset: state.cursor.offset))
            }
            try step(&state)
        }
        return try state.pop()
    }

    private struct State {
        var cursor: DWARFCursor
        var stack: [UInt64]

        mutating func pop() throws(EvaluationError) -> UInt64 {
            guard let v = stack.popLast() else { throw .cfi(.malformed(what: "expression stack underflow", offset: cursor.offset)) }
            return v
        }

        mutating func push(_ v: UInt64) { stack.append(v) }

        /// A binary operator on the two top entries (second from top is the left operand).
        mutating func binary(_ f: (UInt64, UInt64) throws(EvaluationError) -> UInt64) throws(EvaluationError) {
            let right = try pop(), left = try pop()
            push(try f(left, right))
        }
    }

    private func step(_ s: inout State) throws(EvaluationError) {
        let at = s.cursor.offset
        let op = try wrap { () throws(CFIError) in try s.cursor.u8("DW_OP") }
        switch op {
        case 0x30...0x4f: s.push(UInt64(op - 0x30))  // DW_OP_lit0..31
        case 0x70...0x8f: try pushRegister(Int(op - 0x70), &s)  // DW_OP_breg0..31
        case 0x92:  // DW_OP_bregx
            let r = try wrap { () throws(CFIError) in try registerNumber(try s.cursor.uleb("DW_OP_bregx"), offset: at) }
            try pushRegister(r, &s)
        case 0x06: s.push(try load(try s.pop(), 8))  // DW_OP_deref
        case 0x03, 0x08...0x11: try pushConstant(op, &s)
        case 0x12...0x17: try stackOperation(op, &s)
        case 0x19...0x27: try arithmetic(op, &s)
        case 0x29...0x2e: try compare(op, &s)
        case 0x28, 0x2f: try branch(op, &s)
        case 0x94:  // DW_OP_deref_size
            let size = Int(try wrap { () throws(CFIError) in try s.cursor.u8("DW_OP_deref_size") })
            guard (1...8).contains(size) else { throw .cfi(.malformed(what: "DW_OP_deref_size \(size)", offset: at)) }
            s.push(try load(try s.pop(), size))
        case 0x96: break  // DW_OP_nop
        default: throw .cfi(.unsupported(what: "DW_OP \(hex(UInt64(op)))", offset: at))
        }
    }

    private func pushRegister(_ number: Int, _ s: inout State) throws(EvaluationError) {
        let offset = try wrap { () throws(CFIError) in try s.cursor.sleb("DW_OP_breg offset") }
        guard let value = register(number) else { throw .unknownRegister(number) }
        s.push(value &+ UInt64(bitPattern: offset))
    }

    private func pushConstant(_ op: UInt8, _ s: inout State) throws(EvaluationError) {
        let at = s.cursor.offset - 1
        let value: UInt64 = try wrap { () throws(CFIError) -> UInt64 in
            switch op {
            case 0x03, 0x0e, 0x0f: return try s.cursor.unsigned(8, "DW_OP_addr/const8")
            case 0x08: return try s.cursor.unsigned(1, "DW_OP_const1u")
            case 0x09: return UInt64(bitPattern: try s.cursor.signed(1, "DW_OP_const1s"))
            case 0x0a: return try s.cursor.unsigned(2, "DW_OP_const2u")
            case 0x0b: return UInt64(bitPattern: try s.cursor.signed(2, "DW_OP_const2s"))
            case 0x0c: return try s.cursor.unsigned(4, "DW_OP_const4u")
            case 0x0d: return UInt64(bitPattern: try s.cursor.signed(4, "DW_OP_const4s"))
            case 0x10: return try s.cursor.uleb("DW_OP_constu")
            case 0x11: return UInt64(bitPattern: try s.cursor.sleb("DW_OP_consts"))
            default: throw .unsupported(what: "DW_OP \(hex(UInt64(op)))", offset: at)
            }
        }
        s.push(value)
    }

    private func stackOperation(_ op: UInt8, _ s: inout State) throws(EvaluationError) {
        switch op {
        case 0x12: let v = try s.pop(); s.push(v); s.push(v)  // dup
        case 0x13: _ = try s.pop()  // drop
        case 0x14: let a = try s.pop(), b = try s.pop(); s.push(b); s.push(a); s.push(b)  // over
        case 0x15:  // pick
            let index = Int(try wrap { () throws(CFIError) in try s.cursor.u8("DW_OP_pick") })
            guard index < s.stack.count else { throw .cfi(.malformed(what: "DW_OP_pick \(index)", offset: s.cursor.offset)) }
            s.push(s.stack[s.stack.count - 1 - index])
        case 0x16: let a = try s.pop(), b = try s.pop(); s.push(a); s.push(b)  // swap
        default: let a = try s.pop(), b = try s.pop(), c = try s.pop(); s.push(a); s.push(c); s.push(b)  // rot
        }
    }

    private func arithmetic(_ op: UInt8, _ s: inout State) throws(EvaluationError) {
        let at = s.cursor.offset - 1
        switch op {
        case 0x19: let v = Int64(bitPattern: try s.pop()); s.push(UInt64(bitPattern: v < 0 ? 0 &- v : v))  // abs
        case 0x1f: s.push(0 &- (try s.pop()))  // neg
        case 0x20: s.push(~(try s.pop()))  // not
        case 0x23: s.push((try s.pop()) &+ (try wrap { () throws(CFIError) in try s.cursor.uleb("DW_OP_plus_uconst") }))
        case 0x1b: try s.binary { (a, b) throws(EvaluationError) in try Self.divide(a, b, at) }
        case 0x1d: try s.binary { (a, b) throws(EvaluationError) in
            guard b != 0 else { throw .cfi(.malformed(what: "DW_OP_mod by zero", offset: at)) }
            return a % b
        }
        default: try s.binary { (a, b) throws(EvaluationError) in Self.plainBinary(op, a, b) }
        }
    }

    private static func plainBinary(_ op: UInt8, _ a: UInt64, _ b: UInt64) -> UInt64 {
        switch op {
        case 0x1a: return a & b
        case 0x1c: return a &- b
        case 0x1e: return a &* b
        case 0x21: return a | b
        case 0x22: return a &+ b
        case 0x24: return b >= 64 ? 0 : a << b
        case 0x25: return b >= 64 ? 0 : a >> b
        case 0x26: return UInt64(bitPattern: Int64(bitPattern: a) >> Int64(min(b, 63)))
        default: return a ^ b  // 0x27 xor
        }
    }

    private static func divide(_ a: UInt64, _ b: UInt64, _ at: Int) throws(EvaluationError) -> UInt64 {
        let x = Int64(bitPattern: a), y = Int64(bitPattern: b)
        guard y != 0 else { throw .cfi(.malformed(what: "DW_OP_div by zero", offset: at)) }
        return UInt64(bitPattern: y == -1 ? 0 &- x : x / y)
    }

    private func compare(_ op: UInt8, _ s: inout State) throws(EvaluationError) {
        try s.binary { (a, b) throws(EvaluationError) in
            let x = Int64(bitPattern: a), y = Int64(bitPattern: b)
            let result: Bool
            switch op {
            case 0x29: result = x == y
            case 0x2a: result = x >= y
            case 0x2b: result = x > y
            case 0x2c: result = x <= y
            case 0x2d: result = x < y
            default: result = x != y
            }
            return result ? 1 : 0
        }
    }

    /// DW_OP_bra (0x28, conditional) and DW_OP_skip (0x2f): a signed 2-byte displacement.
    private func branch(_ op: UInt8, _ s: inout State) throws(EvaluationError) {
        let displacement = try wrap { () throws(CFIError) in try s.cursor.signed(2, "branch displacement") }
        if op == 0x28, try s.pop() == 0 { return }
        let target = s.cursor.offset + Int(displacement)
        guard target >= 0, target <= code.count else {
            throw .cfi(.malformed(what: "branch to \(target)", offset: s.cursor.offset - 3))
        }
        s.cursor.offset = target
    }

    private func load(_ address: UInt64, _ size: Int) throws(EvaluationError) -> UInt64 {
        guard let value = memory(address, size) else { throw .unreadableMemory(address) }
        return value
    }

    private func wrap<T>(_ body: () throws(CFIError) -> T) throws(EvaluationError) -> T {
        do { return try body() } catch { throw .cfi(error) }
    }
}
