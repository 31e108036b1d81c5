import Foundation
import Glibc

/// While the target runs (`resume` blocks the serving thread), a second thread watches the
/// connection for gdb's interrupt byte and asks the target to stop. Whatever it reads is
/// handed back to the packet layer afterwards.
final class InterruptWatcher: @unchecked Sendable {
    private let fd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    // Guards `captured`; the watcher thread appends, the serving thread takes.
    private let lock = NSLock()
    private var captured: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(fd: Int32) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TransportError("pipe for the interrupt watcher", errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.fd = fd
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts watching; `interrupt` runs on the watcher thread for every 0x03 and when gdb
    /// hangs up (so a target running forever still stops and the session can end).
    func start(interrupt: @escaping @Sendable () -> Void) {
        running = true
        Thread.detachNewThread { [self] in
            watch(interrupt)
            finished.signal()
        }
    }

    /// Stops watching and returns the bytes read meanwhile.
    func stop() -> [UInt8] {
        guard running else { return [] }
        running = false
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        finished.wait()
        _ = read(wakeRead, &byte, 1)
        lock.lock()
        defer { lock.unlock() }
        let bytes = captured
        captured = []
        return bytes
    }

    private func watch(_ interrupt: @Sendable () -> Void) {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let r = poll(&fds, 2, -1)
            if r < 0 && errno == EINTR { continue }
            if r < 0 || fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                interrupt()  // gdb is gone
                return
            }
            lock.lock()
            captured += buf[..<n]
            lock.unlock()
            if buf[..<n].contains(0x03) { interrupt() }
        }
    }
}
