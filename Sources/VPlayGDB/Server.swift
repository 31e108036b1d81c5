import Glibc
import Logging

/// How a debugging session ended.
public enum GDBSessionEnd: Equatable, Sendable {
    /// gdb closed the connection.
    case disconnected
    /// gdb killed the debuggee (`k`, `vKill`).
    case killed
    /// gdb detached (`D`); the debuggee goes on.
    case detached
}

/// A gdb remote serial protocol server over one `GDBTarget`.
///
/// Usage: create the target and the server on the thread that will serve (ptrace targets
/// are bound to it), accept a connection, then call `serve`, which returns when the session
/// ends.
public final class GDBServer {
    /// The target being debugged.
    public let target: any GDBTarget
    /// The largest packet payload gdb may send (advertised as `PacketSize`) and the server
    /// sends.
    public let packetSize: Int
    let logger: Logger

    /// - Parameters:
    ///   - packetSize: advertised maximum payload, at least 256.
    public init(target: any GDBTarget, packetSize: Int = 0x4000, logger: Logger = Logger(label: "vplay.gdb")) {
        self.target = target
        self.packetSize = max(256, packetSize)
        self.logger = logger
    }

    /// Serves one gdb connection until gdb disconnects, kills or detaches.
    /// Throws only on transport failures. Sets SIGPIPE to be ignored process-wide, so that a
    /// vanished gdb shows as a write error instead of killing the process.
    public func serve(_ connection: GDBConnection) throws -> GDBSessionEnd {
        signal(SIGPIPE, SIG_IGN)
        let session = try GDBSession(server: self, connection: connection)
        return try session.run()
    }
}

/// The state of one connection: packet channel, selected threads, last stop, open files.
final class GDBSession {
    let target: any GDBTarget
    let channel: PacketChannel
    let logger: Logger
    let packetSize: Int
    let files: FileService
    let watcher: InterruptWatcher
    var lastStop: GDBStopEvent
    /// Thread for register access (`Hg`), and for `c`/`s` (`Hc`); nil means "any".
    var generalThread: GDBThreadID?
    var continueThread: GDBThreadID?
    /// Whether gdb understands swbreak/hwbreak stop reasons (from its qSupported).
    var gdbReportsBreakKinds = false
    private var end: GDBSessionEnd?

    init(server: GDBServer, connection: GDBConnection) throws {
        target = server.target
        logger = server.logger
        packetSize = server.packetSize
        channel = PacketChannel(connection: connection, maxPayload: server.packetSize * 2, logger: server.logger)
        files = FileService(provider: server.target.files)
        watcher = try InterruptWatcher(fd: connection.readFD)
        lastStop = server.target.currentStop
    }

    func run() throws -> GDBSessionEnd {
        while end == nil {
            guard let event = try channel.receive() else { return .disconnected }
            guard case let .packet(payload) = event else { continue }  // ^C while stopped: nothing runs
            logger.trace("<- \(printable(payload))")
            if let reply = handle(payload[...]) {
                try channel.send(reply)
            }
        }
        return end ?? .disconnected
    }

    /// The reply to one packet; nil when the packet has none (`k`).
    func handle(_ p: ArraySlice<UInt8>) -> [UInt8]? {
        guard let first = p.first else { return [] }
        let text = Substring(decoding: p.dropFirst(), as: UTF8.self)
        switch first {
        case UInt8(ascii: "?"): return reply(stopReply(lastStop))
        case UInt8(ascii: "q"): return query(p.dropFirst())
        case UInt8(ascii: "Q"): return reply(setting(text))
        case UInt8(ascii: "H"): return reply(selectThread(text))
        case UInt8(ascii: "T"): return reply(threadAlive(text))
        case UInt8(ascii: "g"): return reply(readAllRegisters())
        case UInt8(ascii: "G"): return reply(writeAllRegisters(text))
        case UInt8(ascii: "p"): return reply(readRegister(text))
        case UInt8(ascii: "P"): return reply(writeRegister(text))
        case UInt8(ascii: "m"): return reply(readMemory(text))
        case UInt8(ascii: "M"): return reply(writeMemoryHex(text))
        case UInt8(ascii: "X"): return reply(writeMemoryBinary(p.dropFirst()))
        case UInt8(ascii: "Z"), UInt8(ascii: "z"): return reply(breakpoint(insert: first == UInt8(ascii: "Z"), text))
        case UInt8(ascii: "c"), UInt8(ascii: "C"), UInt8(ascii: "s"), UInt8(ascii: "S"):
            return reply(simpleResume(first, text))
        case UInt8(ascii: "b"): return reply(reverse(text))
        case UInt8(ascii: "v"): return verbose(p.dropFirst())
        case UInt8(ascii: "k"):
            killTarget()
            return nil
        case UInt8(ascii: "D"): return reply(detach())
        default: return []
        }
    }

    func reply(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// `Exx` for an error: the target's errno when it gave one.
    func errorReply(_ error: any Error, _ what: String) -> String {
        logger.debug("\(what) failed: \(error)")
        if let e = error as? GDBTargetError {
            if case .unsupported = e { return "" }
            return "E" + StopReply.hexByte(UInt8(truncatingIfNeeded: e.errno))
        }
        return "E01"
    }

    private func setting(_ text: Substring) -> String {
        if text == "StartNoAckMode" {
            // This OK still travels in ack mode; gdb acks it, then neither side does.
            defer { channel.acknowledging = false }
            return "OK"
        }
        return ""
    }

    private func killTarget() {
        do { try target.kill() } catch { logger.warning("kill failed: \(error)") }
        end = .killed
    }

    private func detach() -> String {
        do {
            try target.detach()
        } catch {
            return errorReply(error, "detach")
        }
        end = .detached
        return "OK"
    }

    /// `v` packets: vCont, vFile, vKill, vMustReplyEmpty and the rest (unsupported).
    private func verbose(_ p: ArraySlice<UInt8>) -> [UInt8]? {
        let text = Substring(decoding: p, as: UTF8.self)
        if text == "Cont?" { return reply("vCont;c;C;s;S") }
        if text.hasPrefix("Cont;") { return reply(vCont(text.dropFirst(5))) }
        if text.hasPrefix("File:") { return files.handle(p.dropFirst(5), maxPayload: packetSize) ?? [] }
        if text.hasPrefix("Kill") {
            killTarget()
            return reply("OK")
        }
        return []  // vMustReplyEmpty and anything unknown
    }
}
