/// What went wrong with one incoming packet. The packet is dropped (and nacked in ack mode);
/// the session goes on.
public enum PacketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The two characters after `#` are not hex digits.
    case malformedChecksum
    /// The checksum does not match the payload.
    case checksumMismatch(expected: UInt8, computed: UInt8)
    /// The payload grew beyond the parser's limit before its `#`.
    case tooLong(limit: Int)
    /// A `*` with nothing to repeat, or a repeat count outside the printable range.
    case badRunLength
    /// A `$` arrived inside a packet: the packet so far is dropped and a new one starts.
    case interruptedByNewPacket

    public var description: String {
        switch self {
        case .malformedChecksum: return "malformed checksum"
        case let .checksumMismatch(e, c): return "checksum mismatch (sent \(e), computed \(c))"
        case let .tooLong(limit): return "packet longer than \(limit) bytes"
        case .badRunLength: return "bad run-length encoding"
        case .interruptedByNewPacket: return "packet interrupted by a new '$'"
        }
    }
}

/// One unit of the byte stream from gdb.
public enum PacketEvent: Equatable, Sendable {
    case ack
    case nack
    /// The out-of-band interrupt byte 0x03 (^C).
    case interrupt
    /// A complete packet with a valid checksum; run-length encoding already expanded,
    /// binary escapes still in place (only some packets carry binary data).
    case packet([UInt8])
    case corrupt(PacketError)
}

/// Framing, checksums, escaping and run-length encoding of the remote serial protocol.
public enum PacketCodec {
    static let start = UInt8(ascii: "$"), end = UInt8(ascii: "#")
    static let escape = UInt8(ascii: "}"), repeatMark = UInt8(ascii: "*")

    /// The modulo-256 sum of the payload bytes as sent (escaped, encoded).
    public static func checksum(_ payload: some Sequence<UInt8>) -> UInt8 {
        payload.reduce(0) { $0 &+ $1 }
    }

    /// `$payload#cs`. The payload must already be escaped where it carries binary data.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        [start] + payload + [end] + Array(Hex.encode([checksum(payload)]).utf8)
    }

    /// Whether `byte` must be escaped inside a packet (`#`, `$`, `}`, and `*`, which gdb
    /// would otherwise take for run-length encoding).
    public static func needsEscape(_ byte: UInt8) -> Bool {
        byte == start || byte == end || byte == escape || byte == repeatMark
    }

    /// Binary data escaped for a packet: `}` followed by the byte XOR 0x20.
    public static func escapeBinary(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        for b in bytes {
            if needsEscape(b) { out += [escape, b ^ 0x20] } else { out.append(b) }
        }
        return out
    }

    /// Escapes as many leading bytes of `bytes` as fit in `limit` escaped bytes.
    /// Returns the escaped data and how many input bytes it holds.
    public static func escapeBinary(_ bytes: ArraySlice<UInt8>, limit: Int) -> (escaped: [UInt8], consumed: Int) {
        var out = [UInt8]()
        var consumed = 0
        for b in bytes {
            let width = needsEscape(b) ? 2 : 1
            if out.count + width > limit { break }
            if width == 2 { out += [escape, b ^ 0x20] } else { out.append(b) }
            consumed += 1
        }
        return (out, consumed)
    }

    /// Binary data from its escaped form; nil when it ends in a lone `}`.
    public static func unescapeBinary(_ bytes: some Sequence<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        var pending = false
        for b in bytes {
            if pending {
                out.append(b ^ 0x20)
                pending = false
            } else if b == escape {
                pending = true
            } else {
                out.append(b)
            }
        }
        return pending ? nil : out
    }

    /// Expands `X*n`: the character before `*` repeated (n - 29) more times, n printable.
    public static func expandRunLength(_ raw: [UInt8]) -> [UInt8]? {
        guard raw.contains(repeatMark) else { return raw }
        var out = [UInt8]()
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == repeatMark else {
                out.append(b)
                i += 1
                continue
            }
            guard let previous = out.last, i + 1 < raw.count, (32...126).contains(raw[i + 1]) else { return nil }
            out += repeatElement(previous, count: Int(raw[i + 1]) - 29)
            i += 2
        }
        return out
    }

    /// Run-length encodes a payload the way stubs may (runs of 4 or more, never producing a
    /// `#` or `$` count). The server sends plain payloads; this exists for clients and tests.
    public static func compressRunLength(_ payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        var i = 0
        while i < payload.count {
            let b = payload[i]
            var run = 1
            while i + run < payload.count, payload[i + run] == b, run < 98 { run += 1 }
            // n = run - 1 repeats, encoded as n + 29; '#' (6) and '$' (7) are not allowed.
            var repeats = run - 1
            if repeats == 6 || repeats == 7 { repeats = 5 }
            if repeats >= 3 && b != escape && b != repeatMark {
                out += [b, repeatMark, UInt8(repeats + 29)]
                i += repeats + 1
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }
}

/// Splits the byte stream from gdb into acks, interrupts and checked packets.
/// Never fails: malformed input becomes a `.corrupt` event and parsing goes on.
public struct PacketParser: Sendable {
    private enum State: Sendable { case idle, body, checksumHigh, checksumLow(UInt8) }

    /// The largest payload accepted; longer ones are dropped as `.tooLong`.
    public let maxPayload: Int
    private var state = State.idle
    private var payload: [UInt8] = []
    private var skippingOversized = false

    /// - Parameter maxPayload: the longest payload kept; longer packets are dropped.
    public init(maxPayload: Int = 1 << 20) { self.maxPayload = maxPayload }

    /// Feeds one byte; returns the event it completes, if any.
    public mutating func feed(_ byte: UInt8) -> PacketEvent? {
        switch state {
        case .idle: return idleByte(byte)
        case .body: return bodyByte(byte)
        case .checksumHigh:
            guard let d = Hex.digit(byte) else { return fail(.malformedChecksum) }
            state = .checksumLow(d)
            return nil
        case let .checksumLow(high):
            guard let d = Hex.digit(byte) else { return fail(.malformedChecksum) }
            return finish(expected: high << 4 | d)
        }
    }

    /// Feeds a chunk; returns every event it completes, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [PacketEvent] {
        bytes.compactMap { feed($0) }
    }

    private mutating func idleByte(_ byte: UInt8) -> PacketEvent? {
        switch byte {
        case UInt8(ascii: "+"): return .ack
        case UInt8(ascii: "-"): return .nack
        case 0x03: return .interrupt
        case PacketCodec.start:
            beginPacket()
            return nil
        default: return nil  // line noise between packets
        }
    }

    private mutating func bodyByte(_ byte: UInt8) -> PacketEvent? {
        switch byte {
        case PacketCodec.end:
            state = .checksumHigh
            return nil
        case PacketCodec.start:
            let dropped = !skippingOversized
            beginPacket()
            return dropped ? .corrupt(.interruptedByNewPacket) : nil
        default:
            guard !skippingOversized else { return nil }
            guard payload.count < maxPayload else {
                skippingOversized = true
                payload = []
                return .corrupt(.tooLong(limit: maxPayload))
            }
            payload.append(byte)
            return nil
        }
    }

    private mutating func beginPacket() {
        state = .body
        payload.removeAll(keepingCapacity: true)
        skippingOversized = false
    }

    private mutating func finish(expected: UInt8) -> PacketEvent? {
        state = .idle
        if skippingOversized {
            skippingOversized = false
            return nil  // already reported
        }
        let computed = PacketCodec.checksum(payload)
        guard computed == expected else { return .corrupt(.checksumMismatch(expected: expected, computed: computed)) }
        guard let expanded = PacketCodec.expandRunLength(payload) else { return .corrupt(.badRunLength) }
        return .packet(expanded)
    }

    private mutating func fail(_ error: PacketError) -> PacketEvent {
        state = .idle
        skippingOversized = false
        return .corrupt(error)
    }
}
