import Testing
@testable import VPlaySyscalls

/// The rules handed to the BPF logger must say exactly what the table says: for every call
/// they describe, applying them as the BPF program does (Sources/CVPlayBPF/bpf) gives the
/// table's own written regions, for successes, interruptions and errors alike.
@Suite("Kernel write rules agree with the table")
struct KernelRulesTests {
    static let results: [Int64] = [0, 1, 5, 100, 4096, 1 << 20, -4, -7, -14, -22, -75, -512, -516]

    /// The BPF program's reading of a rule (no per-event cap).
    static func apply(_ outs: [KernelOut], args: [UInt64], result: Int64, memory: FakeMemory) throws -> [WrittenRegion] {
        let failed = (-4095 ... -1).contains(result)
        let interrupted = [-4, -512, -513, -514, -516].contains(result)
        let count = !failed && result > 0 ? UInt64(result) : 0
        var regions: [WrittenRegion] = []
        func add(_ address: UInt64, _ length: UInt64) {
            if address != 0 && length != 0 { regions.append(WrittenRegion(address: address, length: Int(clamping: length))) }
        }
        for out in outs {
            let applies: Bool
            switch out.condition {
            case .success: applies = !failed
            case .successOrInterrupted: applies = !failed || interrupted
            case .notEFAULT: applies = result != -14
            case .errno(let value): applies = result == -value
            case .positive: applies = result > 0
            }
            guard applies else { continue }
            let address = args[out.arg]
            switch out.length {
            case .fixed(let size): add(address, UInt64(size))
            case .sizeArg(let arg): add(address, args[arg])
            case .countTimes(let countArg, let size): add(address, UInt64(UInt32(truncatingIfNeeded: args[countArg])) * UInt64(size))
            case .resultBytes(let maxArg): add(address, min(count, args[maxArg]))
            case .resultCountTimes(let size, let maxArg): add(address, min(count, args[maxArg]) * UInt64(size))
            case .lengthAt(let lengthArg, let max):
                let at = args[lengthArg]
                guard address != 0, at != 0 else { continue }
                let bytes = try memory.read(address: at, count: 4)
                let length = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                add(address, min(length, UInt64(max)))
                add(at, 4)
            }
        }
        return regions
    }

    @Test func describedRulesGiveTheTablesRegions() throws {
        let args: [UInt64] = (0 ..< 6).map { 0x7000_0000 + UInt64($0) * 0x1000 }
        let memory = FakeMemory()
        for address in args { memory.put(address, fields: [(16, 4), (0, 4)]) }
        var described = 0
        for (number, rule) in SyscallTable.kernelWriteRules() {
            guard case .described(let outs) = rule else { continue }
            described += 1
            #expect(outs.map(\.length.regionCount).reduce(0, +) <= SyscallTable.maxKernelOuts)
            for result in Self.results {
                let table = try SyscallTable.writtenRegions(number: number, args: args, result: result, memory: memory)
                let kernel = try Self.apply(outs, args: args, result: result, memory: memory)
                #expect(kernel == table, "\(SyscallTable.name(number)) = \(result)")
            }
        }
        #expect(described > 300)
    }

    @Test func callsWhoseWritesNeedCodeAreLeftToTheTracer() {
        for name in ["readv", "recvmsg", "clone3"] {
            let number = SyscallTable.number(name) ?? -1
            guard case .needsTracer(let reason) = SyscallTable.kernelWriteRule(number) else {
                Issue.record("\(name): \(String(describing: SyscallTable.kernelWriteRule(number)))")
                continue
            }
            #expect(reason.contains(name))
        }
    }

    @Test func commandDependentCallsExportTheirDecodersCommands() throws {
        let memory = FakeMemory()
        for name in ["fcntl", "ioctl", "prctl"] {
            let number = try #require(SyscallTable.number(name))
            guard case .byCommand(let rule) = SyscallTable.kernelWriteRule(number) else {
                Issue.record("\(name): \(String(describing: SyscallTable.kernelWriteRule(number)))")
                continue
            }
            #expect(rule.writes.count > 20)
            // Each known command writes what the decoder says, at args[bufferArg], on success only.
            for (command, size) in rule.writes {
                var callArgs: [UInt64] = [3, 3, 3, 0, 0, 0]
                callArgs[rule.bufferArg] = 0x7000_0000
                callArgs[rule.commandArg] = UInt64(command)
                let table = try SyscallTable.writtenRegions(number: number, args: callArgs, result: 0, memory: memory)
                #expect(table.map(\.length) == (size > 0 ? [size] : []), "\(name) command 0x\(String(command, radix: 16))")
                #expect(table.allSatisfy { $0.address == callArgs[rule.bufferArg] })
                #expect(try SyscallTable.writtenRegions(number: number, args: callArgs, result: -22, memory: memory).isEmpty)
            }
        }
    }
}
