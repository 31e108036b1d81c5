import Glibc

/// A failure of the byte transport under the protocol.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
    public var description: String { "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// A byte stream to gdb over a pair of file descriptors: one socket for both directions
/// (`target remote :PORT`) or two pipes (`target remote | command`, the server on stdio).
public final class GDBConnection {
    /// The descriptor bytes from gdb are read from.
    public let readFD: Int32
    /// The descriptor bytes to gdb are written to.
    public let writeFD: Int32
    private let ownsDescriptors: Bool
    private var pushedBack: [UInt8] = []
    private var closed = false

    /// Wraps descriptors; with `owns`, `close()` (or deinit) closes them.
    public init(readFD: Int32, writeFD: Int32, owns: Bool = true) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.ownsDescriptors = owns
    }

    /// The server on this process's standard input and output (does not close them).
    public static func standardIO() -> GDBConnection {
        GDBConnection(readFD: 0, writeFD: 1, owns: false)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        guard ownsDescriptors else { return }
        Glibc.close(readFD)
        if writeFD != readFD { Glibc.close(writeFD) }
    }

    /// The next bytes from gdb, blocking; nil at end of stream.
    func read() throws -> [UInt8]? {
        if !pushedBack.isEmpty {
            defer { pushedBack = [] }
            return pushedBack
        }
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            // Wait first: a FIFO whose writer has not opened yet reads as end of stream,
            // but polls as "nothing yet".
            var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, -1) < 0 {
                if errno == EINTR { continue }
                throw TransportError("poll for gdb's input (fd \(readFD))", errno: errno)
            }
            let n = buf.withUnsafeMutableBytes { Glibc.read(readFD, $0.baseAddress, $0.count) }
            if n > 0 { return Array(buf[..<n]) }
            if n == 0 { return nil }
            let e = errno
            if e == EINTR { continue }
            if e == ECONNRESET { return nil }
            throw TransportError("read from gdb (fd \(readFD))", errno: e)
        }
    }

    /// Puts bytes back in front of the stream (what the interrupt watcher read).
    func unread(_ bytes: [UInt8]) {
        pushedBack = bytes + pushedBack
    }

    /// Bytes read ahead and not consumed yet.
    var hasPushedBack: Bool { !pushedBack.isEmpty }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            // MSG_NOSIGNAL is not available for pipes; SIGPIPE is ignored by the server instead.
            let n = bytes[done...].withUnsafeBytes { Glibc.write(writeFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TransportError("write to gdb (fd \(writeFD))", errno: n < 0 ? errno : EIO) }
            done += n
        }
    }
}

/// A listening TCP socket for `target remote HOST:PORT`.
public final class TCPListener {
    /// The port actually bound (the kernel's choice when 0 was asked for).
    public let port: UInt16
    /// The bound address.
    public let host: String
    private let fd: Int32

    /// Binds and listens on `host` (an IPv4 address, default loopback) and `port` (0: any free port).
    public init(host: String = "127.0.0.1", port: UInt16 = 0) throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw TransportError("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            Glibc.close(s)
            throw TransportError("parse IPv4 address '\(host)'", errno: EINVAL)
        }
        do {
            try Self.bindAndListen(s, &addr, host: host, port: port)
            self.port = try Self.boundPort(s)
        } catch {
            Glibc.close(s)
            throw error
        }
        self.fd = s
        self.host = host
    }

    deinit { Glibc.close(fd) }

    private static func bindAndListen(_ s: Int32, _ addr: inout sockaddr_in, host: String, port: UInt16) throws {
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TransportError("bind \(host):\(port)", errno: errno) }
        guard listen(s, 1) == 0 else { throw TransportError("listen on \(host):\(port)", errno: errno) }
    }

    private static func boundPort(_ s: Int32) throws -> UInt16 {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let r = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
        }
        guard r == 0 else { throw TransportError("getsockname", errno: errno) }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// Waits for one connection; nil when `timeout` seconds pass first (nil timeout: forever).
    public func accept(timeout: Double? = nil) throws -> GDBConnection? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = timeout.map { Int32(max(0, $0 * 1000)) } ?? -1
        while true {
            let r = poll(&pfd, 1, ms)
            if r < 0 && errno == EINTR { continue }
            guard r >= 0 else { throw TransportError("poll on listening socket", errno: errno) }
            if r == 0 { return nil }
            break
        }
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { throw TransportError("accept", errno: errno) }
        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        // Packets are small and latency-bound: no Nagle delay.
        setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return GDBConnection(readFD: c, writeFD: c)
    }
}
