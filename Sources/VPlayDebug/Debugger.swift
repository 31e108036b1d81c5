import Foundation
import Glibc
import Logging
import VPlayBundle
import VPlayGDB
import VPlayReplay

/// `vplay-bundle debug`: a gdb remote server over the replay of a bundle. The replay (and
/// every ptrace request) runs on the calling thread; the gdb connection is served on another.
public final class Debugger {
    let bundle: Bundle
    let logger: Logger
    let channel = DebugChannel()

    public init(bundle: VPlayBundle.Bundle, logger: Logger) {
        self.bundle = bundle
        self.logger = logger
    }

    /// Serves one gdb connection, which `connect` returns (it runs on the server thread, so it
    /// may block accepting). Returns when gdb kills, detaches or disconnects.
    public func run(connect: @escaping @Sendable () throws -> GDBConnection) throws {
        let session = DebugSession(channel: channel, logger: logger)
        let target = ReplayTarget(channel: channel, session: session, bundle: bundle)
        // The server is used only on its own thread from here on.
        let server = Unchecked(GDBServer(target: target, logger: logger))
        let channel = self.channel
        let logger = self.logger
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                let connection = try connect()
                let end = try server.value.serve(connection)
                logger.info("gdb session ended: \(end)")
            } catch {
                logger.error("gdb connection failed: \(error)")
            }
            channel.post(.end)
            done.signal()
        }
        thread.name = "vplay-gdb"
        thread.start()
        defer { done.wait() }
        try replay(session)
    }

    /// Runs the replay, again from the start whenever reverse execution asks for an earlier point.
    func replay(_ session: DebugSession) throws {
        while true {
            var options = ReplayOptions()
            options.cpu = 0
            let replayer = Replayer(bundle: bundle, options: options, logger: logger)
            replayer.observer = session
            session.begin(replayer)
            do {
                let outcome = try replayer.run()
                if let divergence = outcome.divergence {
                    logger.warning("the replay diverged: \(divergence)")
                    session.endWithoutProcess()
                }
                session.serveAfterEnd()
                return
            } catch let restart as RestartReplay {
                logger.debug("re-running the replay towards \(restart.goal)")
                session.goal = restart.goal
            } catch is SessionEnded {
                return
            }
        }
    }
}

/// Hands a value to one other thread that alone uses it from then on.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
