import Logging

/// Packets over a connection: acknowledgements (until QStartNoAckMode), retransmission on
/// `-`, and dropping of corrupt input.
final class PacketChannel {
    let connection: GDBConnection
    private var parser: PacketParser
    private var queued: [PacketEvent] = []
    private let logger: Logger
    /// Whether `+`/`-` acknowledgements are exchanged (true until QStartNoAckMode).
    var acknowledging = true
    private var lastSent: [UInt8] = []

    init(connection: GDBConnection, maxPayload: Int, logger: Logger) {
        self.connection = connection
        self.parser = PacketParser(maxPayload: maxPayload)
        self.logger = logger
    }

    /// The next packet or interrupt from gdb; nil at end of stream. Acks are consumed here.
    func receive() throws -> PacketEvent? {
        while true {
            guard let event = try nextEvent() else { return nil }
            switch event {
            case .packet:
                if acknowledging { try connection.write([UInt8(ascii: "+")]) }
                return event
            case .interrupt:
                return event
            case let .corrupt(error):
                logger.warning("dropped packet from gdb: \(error)")
                if acknowledging { try connection.write([UInt8(ascii: "-")]) }
            case .nack:
                // gdb did not get our last packet intact: send it again.
                if acknowledging && !lastSent.isEmpty { try connection.write(lastSent) }
            case .ack:
                continue
            }
        }
    }

    /// Sends one packet payload (already escaped where binary).
    func send(_ payload: [UInt8]) throws {
        logger.trace("-> \(printable(payload))")
        let framed = PacketCodec.frame(payload)
        lastSent = framed
        try connection.write(framed)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Bytes the interrupt watcher read while the target ran go back in front of the stream.
    func unread(_ bytes: [UInt8]) { connection.unread(bytes) }

    /// Whether an interrupt byte is already waiting in what was read ahead.
    func takeQueuedInterrupt() -> Bool {
        guard let i = queued.firstIndex(of: .interrupt) else { return false }
        queued.remove(at: i)
        return true
    }

    private func nextEvent() throws -> PacketEvent? {
        while queued.isEmpty {
            guard let bytes = try connection.read() else { return nil }
            queued = parser.feed(bytes)
        }
        return queued.removeFirst()
    }
}

/// A packet for a log line: at most 200 bytes, non-printable ones as \xNN.
func printable(_ bytes: some Collection<UInt8>) -> String {
    var out = ""
    for b in bytes.prefix(200) {
        if (0x20..<0x7f).contains(b) { out.append(Character(Unicode.Scalar(b))) } else { out += "\\x" + Hex.encode([b]) }
    }
    return bytes.count > 200 ? out + "... (\(bytes.count) bytes)" : out
}
