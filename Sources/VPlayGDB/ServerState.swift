/// Threads, registers, memory and breakpoints: the packets that inspect or change a stopped
/// target.
extension GDBSession {
    /// The thread register packets address: gdb's `Hg` choice, else the last stop's.
    var registerThread: GDBThreadID? { generalThread ?? lastStop.thread ?? (try? target.threads().first) }

    /// `H<op><thread>`: -1 (all) and 0 (any) select the thread of the last stop.
    func selectThread(_ text: Substring) -> String {
        guard let op = text.first, let thread = parseThread(text.dropFirst()) else { return "E16" }
        let chosen = thread > 0 ? thread : nil
        if let chosen, !((try? target.threads()) ?? []).contains(chosen) { return "E16" }
        switch op {
        case "g": generalThread = chosen
        case "c": continueThread = chosen
        default: return "E16"
        }
        return "OK"
    }

    func threadAlive(_ text: Substring) -> String {
        guard let thread = parseThread(text) else { return "E16" }
        return ((try? target.threads()) ?? []).contains(thread) ? "OK" : "E10"
    }

    /// A thread id: hex, or -1 for all.
    func parseThread(_ text: Substring) -> GDBThreadID? {
        if text == "-1" { return -1 }
        return Hex.number(text).flatMap { GDBThreadID(exactly: $0) }
    }

    func readAllRegisters() -> String {
        guard let thread = registerThread else { return "E10" }
        do {
            return Hex.encode(AMD64RegisterLayout.encodeAll(try target.readRegisters(thread: thread)))
        } catch {
            return errorReply(error, "read registers of \(thread)")
        }
    }

    func writeAllRegisters(_ text: Substring) -> String {
        guard let thread = registerThread else { return "E10" }
        guard let image = Hex.decode(text) else { return "E16" }
        do {
            var regs = try target.readRegisters(thread: thread)
            AMD64RegisterLayout.decodeAll(image, into: &regs)
            try target.writeRegisters(regs, thread: thread)
            return "OK"
        } catch {
            return errorReply(error, "write registers of \(thread)")
        }
    }

    func readRegister(_ text: Substring) -> String {
        guard let n = Hex.number(text).map(Int.init), let thread = registerThread else { return "E16" }
        do {
            guard let bytes = AMD64RegisterLayout.bytes(of: n, in: try target.readRegisters(thread: thread)) else {
                return "E16"
            }
            return Hex.encode(bytes)
        } catch {
            return errorReply(error, "read register \(n) of \(thread)")
        }
    }

    func writeRegister(_ text: Substring) -> String {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let n = Hex.number(parts[0]).map(Int.init), let bytes = Hex.decode(parts[1]),
              let thread = registerThread else { return "E16" }
        do {
            var regs = try target.readRegisters(thread: thread)
            guard AMD64RegisterLayout.set(n, to: bytes, in: &regs) else { return "E16" }
            try target.writeRegisters(regs, thread: thread)
            return "OK"
        } catch {
            return errorReply(error, "write register \(n) of \(thread)")
        }
    }

    /// `m addr,length`: hex bytes, possibly fewer than asked; E14 when none are readable.
    func readMemory(_ text: Substring) -> String {
        guard let (address, length) = addressAndLength(text) else { return "E16" }
        let count = min(length, (packetSize - 4) / 2)
        do {
            let bytes = try target.readMemory(at: address, count: count)
            guard !bytes.isEmpty || count == 0 else { return "E14" }
            return Hex.encode(bytes.prefix(count))
        } catch {
            return errorReply(error, "read \(count) bytes at 0x\(String(address, radix: 16))")
        }
    }

    func writeMemoryHex(_ text: Substring) -> String {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let (address, length) = addressAndLength(parts[0]),
              let bytes = Hex.decode(parts[1]), bytes.count == length else { return "E16" }
        return writeMemory(address, bytes)
    }

    /// `X addr,length:binary`. `X addr,0:` is gdb's probe for binary support.
    func writeMemoryBinary(_ p: ArraySlice<UInt8>) -> String {
        guard let colon = p.firstIndex(of: UInt8(ascii: ":")),
              let (address, length) = addressAndLength(Substring(decoding: p[p.startIndex..<colon], as: UTF8.self)),
              let bytes = PacketCodec.unescapeBinary(p[(colon + 1)...]), bytes.count == length else { return "E16" }
        return writeMemory(address, bytes)
    }

    private func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "OK" }
        do {
            try target.writeMemory(at: address, bytes: bytes)
            return "OK"
        } catch {
            return errorReply(error, "write \(bytes.count) bytes at 0x\(String(address, radix: 16))")
        }
    }

    /// `Z<type>,<addr>,<kind>[;cond...]` / `z...`.
    func breakpoint(insert: Bool, _ text: Substring) -> String {
        let fields = text.split(separator: ";", maxSplits: 1).first?.split(separator: ",") ?? []
        guard fields.count == 3, let type = Int(fields[0]), let kind = GDBBreakpointKind(rawValue: type),
              let address = Hex.number(fields[1]), let length = Hex.number(fields[2]).flatMap({ Int(exactly: $0) })
        else { return "E16" }
        let bp = GDBBreakpoint(kind: kind, address: address, length: length)
        do {
            if insert { try target.insertBreakpoint(bp) } else { try target.removeBreakpoint(bp) }
            return "OK"
        } catch {
            return errorReply(error, "\(insert ? "insert" : "remove") \(bp)")
        }
    }

    /// `addr,length` in hex.
    func addressAndLength(_ text: Substring) -> (UInt64, Int)? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Hex.number(parts[0]),
              let length = Hex.number(parts[1]).flatMap({ Int(exactly: $0) }), length <= 1 << 24 else { return nil }
        return (address, length)
    }
}
