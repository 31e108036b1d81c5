/// Reads `count` bytes of the unwound process's memory at `address`; nil where unknown.
public typealias MemoryReader = (_ address: UInt64, _ count: Int) -> [UInt8]?

/// How a frame was found.
public enum UnwindMethod: String, Codable, Equatable, Sendable {
    /// The innermost frame: the thread's registers.
    case registers
    /// The callee's DWARF call-frame information (.eh_frame).
    case cfi
    /// The callee's saved rbp chain ([rbp] = caller's rbp, [rbp+8] = return address).
    case framePointer = "frame-pointer"
}

/// One frame of a backtrace.
public struct StackFrame: Equatable, Sendable {
    public var pc: UInt64
    /// The address that identifies the frame's function: the pc itself for the innermost
    /// frame and for a frame interrupted by a signal, pc-1 (inside the call) for a caller.
    public var lookupAddress: UInt64
    public var method: UnwindMethod
    /// The frame's registers as far as they could be recovered.
    public var registers: UnwindRegisters

    public init(pc: UInt64, lookupAddress: UInt64, method: UnwindMethod, registers: UnwindRegisters) {
        (self.pc, self.lookupAddress, self.method, self.registers) = (pc, lookupAddress, method, registers)
    }
}

/// Why unwinding ended.
public enum UnwindStop: Equatable, Sendable, CustomStringConvertible {
    /// The CFI marks the return address undefined (_start, thread entry), or the rbp chain ends in 0.
    case outermostFrame
    case returnAddressZero
    case maxDepth(Int)
    /// No FDE covers the pc and no usable frame pointer.
    case noUnwindInformation(pc: UInt64)
    /// The FDE could not be decoded or evaluated, and no usable frame pointer either.
    case invalidCFI(CFIError)
    /// The caller's stack pointer would not be above the callee's.
    case notAdvancing(sp: UInt64)
    case unreadableMemory(address: UInt64)
    case unknownRegister(Int)
    /// The return address is in no known object.
    case pcOutsideObjects(pc: UInt64)

    public var description: String {
        switch self {
        case .outermostFrame: return "outermost frame"
        case .returnAddressZero: return "return address 0"
        case let .maxDepth(n): return "stopped after \(n) frames"
        case let .noUnwindInformation(pc): return "no unwind information for \(hex(pc))"
        case let .invalidCFI(e): return "\(e)"
        case let .notAdvancing(sp): return "stack pointer \(hex(sp)) does not advance"
        case let .unreadableMemory(a): return "memory at \(hex(a)) unknown"
        case let .unknownRegister(r): return "DWARF register \(r) unknown"
        case let .pcOutsideObjects(pc): return "return address \(hex(pc)) outside every object"
        }
    }
}

/// The frames of one thread, innermost first, and why the walk ended.
public struct Backtrace: Equatable, Sendable {
    public var frames: [StackFrame]
    public var stop: UnwindStop
}

/// An object whose `.eh_frame` could not be decoded; its frames fall back to frame pointers.
public struct CFIProblem: Equatable, Sendable {
    public var path: String
    public var error: CFIError
}

/// Walks an x86-64 stack: DWARF CFI where an FDE covers the pc, the rbp chain elsewhere.
public struct Unwinder: Sendable {
    public let symbolizer: Symbolizer
    public let maxDepth: Int
    /// Objects whose CFI is unusable.
    public let cfiProblems: [CFIProblem]
    /// Parallel to `symbolizer.objects`.
    private let frameInfo: [CallFrameInfo?]

    /// Decodes the `.eh_frame` of every object once.
    public init(objects: [LoadedObject], maxDepth: Int = 256) {
        symbolizer = Symbolizer(objects: objects)
        self.maxDepth = max(1, maxDepth)
        var problems: [CFIProblem] = []
        frameInfo = symbolizer.objects.map { object -> CallFrameInfo? in
            guard !object.symbols.ehFrame.isEmpty else { return nil }
            do throws(CFIError) {
                return try CallFrameInfo(ehFrame: object.symbols.ehFrame, address: object.symbols.ehFrameAddress)
            } catch {
                problems.append(CFIProblem(path: object.symbols.path, error: error))
                return nil
            }
        }
        cfiProblems = problems
    }

    /// The backtrace of a thread stopped with `registers` (rip and rsp required; rbp for
    /// frame-pointer fallback; the others help expressions and caller frames).
    public func unwind(_ registers: UnwindRegisters, memory: MemoryReader) -> Backtrace {
        guard let pc = registers.rip, registers.rsp != nil else {
            return Backtrace(frames: [], stop: .unknownRegister(registers.rip == nil ? UnwindRegisters.rip : UnwindRegisters.rsp))
        }
        return withoutActuallyEscaping(memory) { memory in
            walk(from: StackFrame(pc: pc, lookupAddress: pc, method: .registers, registers: registers),
                 StackMemory(read: memory))
        }
    }

    private func walk(from innermost: StackFrame, _ reader: StackMemory) -> Backtrace {
        var frames = [innermost]
        while true {
            guard frames.count < maxDepth else { return Backtrace(frames: frames, stop: .maxDepth(maxDepth)) }
            guard let callee = frames.last else { break }
            switch step(from: callee, reader) {
            case let .stop(reason):
                return Backtrace(frames: frames, stop: reason)
            case let .frame(next):
                if let reason = invalidity(of: next) { return Backtrace(frames: frames, stop: reason) }
                frames.append(next)
            }
        }
        return Backtrace(frames: frames, stop: .outermostFrame)
    }

    private enum Step {
        case frame(StackFrame)
        case stop(UnwindStop)
    }

    /// A caller frame that must not be reported: a zero pc, or one in no object.
    private func invalidity(of frame: StackFrame) -> UnwindStop? {
        if frame.pc == 0 { return .returnAddressZero }
        if !symbolizer.objects.isEmpty, symbolizer.objectIndex(containing: frame.lookupAddress) == nil {
            return .pcOutsideObjects(pc: frame.pc)
        }
        return nil
    }

    /// The caller of `frame`: by its FDE when one covers it, else by its frame pointer.
    private func step(from frame: StackFrame, _ memory: StackMemory) -> Step {
        var cfiFailure: UnwindStop?
        if let index = symbolizer.objectIndex(containing: frame.lookupAddress), let info = frameInfo[index] {
            let bias = symbolizer.objects[index].bias
            do {
                if let row = try info.row(at: frame.lookupAddress &- bias) {
                    return CFIStep(row: row, registers: frame.registers, memory: memory).caller()
                }
            } catch {
                cfiFailure = .invalidCFI(error)
            }
        }
        if let result = FramePointerStep(registers: frame.registers, memory: memory).caller() { return result }
        return .stop(cfiFailure ?? .noUnwindInformation(pc: frame.pc))
    }

    /// One CFI step: evaluates a row against the callee's registers.
    private struct CFIStep {
        let row: UnwindRow
        let registers: UnwindRegisters
        let memory: StackMemory

        func caller() -> Step {
            do {
                return try unwound()
            } catch {
                switch error {
                case let .cfi(e): return .stop(.invalidCFI(e))
                case let .unknownRegister(r): return .stop(.unknownRegister(r))
                case let .unreadableMemory(a): return .stop(.unreadableMemory(address: a))
                }
            }
        }

        private func unwound() throws(EvaluationError) -> Step {
            guard let raRule = row.returnAddressRule, raRule != .undefined else { return .stop(.outermostFrame) }
            let cfa = try canonicalFrameAddress()
            var next = UnwindRegisters()
            for number in 0..<UnwindRegisters.count where number != row.returnAddressRegister {
                next[dwarf: number] = try? value(of: number, rule: row.registers[number], cfa: cfa)
            }
            if row.registers[UnwindRegisters.rsp] == nil { next[dwarf: UnwindRegisters.rsp] = cfa }
            guard let returnAddress = try value(of: row.returnAddressRegister, rule: raRule, cfa: cfa) else {
                throw .unknownRegister(row.returnAddressRegister)
            }
            next[dwarf: UnwindRegisters.rip] = returnAddress
            // A signal frame's saved rsp may lie anywhere (sigaltstack); any other caller's is above.
            if let sp = next.rsp, let old = registers.rsp, !row.isSignalFrame, sp <= old {
                return .stop(.notAdvancing(sp: sp))
            }
            // The caller of a signal trampoline was interrupted, not calling: its pc is exact.
            let lookup = row.isSignalFrame ? returnAddress : returnAddress &- 1
            return .frame(StackFrame(pc: returnAddress, lookupAddress: lookup, method: .cfi, registers: next))
        }

        private func canonicalFrameAddress() throws(EvaluationError) -> UInt64 {
            switch row.cfa {
            case let .registerOffset(register, offset):
                guard let base = registers[dwarf: register] else { throw .unknownRegister(register) }
                return base &+ UInt64(bitPattern: offset)
            case let .expression(code):
                return try expression(code).evaluate()
            }
        }

        /// The caller's value of a register. Without a rule, callee-saved registers keep
        /// their value and the others are unknown (nil).
        private func value(of number: Int, rule: RegisterRule?, cfa: UInt64) throws(EvaluationError) -> UInt64? {
            switch rule {
            case nil: return UnwindRegisters.calleeSaved.contains(number) ? registers[dwarf: number] : nil
            case .undefined: return nil
            case .sameValue: return registers[dwarf: number]
            case let .offset(n): return try load(cfa &+ UInt64(bitPattern: n))
            case let .valueOffset(n): return cfa &+ UInt64(bitPattern: n)
            case let .register(r): return registers[dwarf: r]
            case let .expression(code): return try load(try expression(code).evaluate(initial: [cfa]))
            case let .valueExpression(code): return try expression(code).evaluate(initial: [cfa])
            }
        }

        private func load(_ address: UInt64) throws(EvaluationError) -> UInt64 {
            guard let v = memory.unsigned(address, 8) else { throw .unreadableMemory(address) }
            return v
        }

        private func expression(_ code: [UInt8]) -> DWARFExpression {
            DWARFExpression(code: code, register: { registers[dwarf: $0] }, memory: { memory.unsigned($0, $1) })
        }
    }

    /// One frame-pointer step: the callee pushed rbp on entry and set rbp = rsp.
    private struct FramePointerStep {
        let registers: UnwindRegisters
        let memory: StackMemory

        /// nil when rbp cannot be a frame pointer here.
        func caller() -> Step? {
            guard let rbp = registers.rbp else { return nil }
            if rbp == 0 { return .stop(.outermostFrame) }
            // A frame pointer points into the stack above the stack pointer, 8-byte aligned.
            guard rbp % 8 == 0, let sp = registers.rsp, rbp >= sp, rbp <= UInt64.max - 16 else { return nil }
            guard let savedRBP = memory.unsigned(rbp, 8), let returnAddress = memory.unsigned(rbp + 8, 8) else {
                return .stop(.unreadableMemory(address: rbp))
            }
            let next = UnwindRegisters(rip: returnAddress, rsp: rbp + 16, rbp: savedRBP)
            return .frame(StackFrame(pc: returnAddress, lookupAddress: returnAddress &- 1, method: .framePointer, registers: next))
        }
    }
}

/// Little-endian loads through a MemoryReader.
struct StackMemory {
    let read: MemoryReader

    func unsigned(_ address: UInt64, _ size: Int) -> UInt64? {
        guard size >= 1, size <= 8, address <= UInt64.max - UInt64(size), let bytes = read(address, size),
              bytes.count == size else { return nil }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
