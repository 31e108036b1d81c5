import Glibc

/// An errno as gdb's File-I/O extension numbers them (mostly the Linux values).
public struct GDBFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The Linux errno.
    public let errno: Int32
    /// What failed, for logs.
    public let detail: String
    public init(errno: Int32, _ detail: String = "") {
        self.errno = errno
        self.detail = detail
    }
    public static let notFound = GDBFileError(errno: ENOENT, "no such file")
    public static let badDescriptor = GDBFileError(errno: EBADF, "bad file descriptor")
    public static let readOnly = GDBFileError(errno: EROFS, "read-only file service")
    public static let invalid = GDBFileError(errno: EINVAL, "invalid argument")
    public var description: String { "\(detail) (errno \(errno))" }

    /// The number in the protocol: the values gdb knows, EUNKNOWN (9999) for others.
    var protocolErrno: Int32 {
        switch errno {
        case EPERM, ENOENT, EINTR, EBADF, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, ENOTDIR, EISDIR,
             EINVAL, ENFILE, EMFILE, EFBIG, ENOSPC, ESPIPE, EROFS:
            return errno
        case ENAMETOOLONG: return 91
        default: return 9999
        }
    }
}

/// What `vFile:fstat` reports about an open file.
public struct GDBFileStatus: Equatable, Sendable {
    /// Size in bytes.
    public var size: UInt64
    /// `st_mode`: type and permission bits.
    public var mode: UInt32
    /// Seconds since the epoch.
    public var modificationTime: UInt32
    public init(size: UInt64, mode: UInt32 = 0o100444, modificationTime: UInt32 = 0) {
        self.size = size
        self.mode = mode
        self.modificationTime = modificationTime
    }

    /// gdb's `struct fio_stat`: big-endian, 64 bytes.
    var encoded: [UInt8] {
        let words32: [UInt32] = [0, 0, mode, 1, 0, 0, 0]  // dev ino mode nlink uid gid rdev
        var out = words32.flatMap { Hex.bigEndianBytes(UInt64($0), count: 4) }
        out += Hex.bigEndianBytes(size, count: 8)
        out += Hex.bigEndianBytes(4096, count: 8)  // blksize
        out += Hex.bigEndianBytes((size + 511) / 512, count: 8)  // blocks
        out += [modificationTime, modificationTime, modificationTime].flatMap { Hex.bigEndianBytes(UInt64($0), count: 4) }
        return out
    }
}

/// One file opened through `vFile:open`.
public protocol GDBFile: AnyObject {
    /// Up to `count` bytes at `offset`; fewer (or none) at the end of the file.
    func read(offset: UInt64, count: Int) throws(GDBFileError) -> [UInt8]
    /// Writes at `offset`, returning how many bytes were written.
    func write(offset: UInt64, bytes: [UInt8]) throws(GDBFileError) -> Int
    func status() throws(GDBFileError) -> GDBFileStatus
    func close()
}

extension GDBFile {
    /// Files are read-only unless a conformer says otherwise.
    public func write(offset: UInt64, bytes: [UInt8]) throws(GDBFileError) -> Int { throw .readOnly }
    /// Nothing to release by default.
    public func close() {}
}

/// `vFile:open` flags (gdb File-I/O values, not the host's).
public struct GDBOpenFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let writeOnly = GDBOpenFlags(rawValue: 0x1)
    public static let readWrite = GDBOpenFlags(rawValue: 0x2)
    public static let append = GDBOpenFlags(rawValue: 0x8)
    public static let create = GDBOpenFlags(rawValue: 0x200)
    public static let truncate = GDBOpenFlags(rawValue: 0x400)
    public static let exclusive = GDBOpenFlags(rawValue: 0x800)
    /// Whether the open asks for anything but reading.
    public var wantsWrite: Bool { !intersection([.writeOnly, .readWrite, .create, .truncate, .append]).isEmpty }
}

/// Resolves the paths gdb asks for to files. The target decides what a path means: the host
/// filesystem for a live process, the ELF objects held in a crash bundle for a replay.
public struct GDBFileProvider: Sendable {
    /// Opens `path`; throws `.notFound` (or another errno) when it cannot.
    public var open: @Sendable (_ path: String, _ flags: GDBOpenFlags) throws(GDBFileError) -> any GDBFile
    /// The target of symbolic link `path`.
    public var readlink: @Sendable (_ path: String) throws(GDBFileError) -> String

    public init(open: @escaping @Sendable (String, GDBOpenFlags) throws(GDBFileError) -> any GDBFile,
                readlink: @escaping @Sendable (String) throws(GDBFileError) -> String) {
        self.open = open
        self.readlink = readlink
    }

    /// Serves nothing: every open fails with ENOENT.
    public static let none = GDBFileProvider(open: { _, _ throws(GDBFileError) in throw .notFound },
                                             readlink: { _ throws(GDBFileError) in throw .notFound })

    /// Files held in memory, by absolute path; read-only. `links` maps link paths to targets.
    public static func inMemory(_ files: [String: [UInt8]], links: [String: String] = [:]) -> GDBFileProvider {
        GDBFileProvider(
            open: { path, flags throws(GDBFileError) in
                guard !flags.wantsWrite else { throw .readOnly }
                guard let bytes = files[path] ?? links[path].flatMap({ files[$0] }) else { throw .notFound }
                return MemoryFile(bytes)
            },
            readlink: { path throws(GDBFileError) in
                guard let target = links[path] else { throw .notFound }
                return target
            })
    }

    /// The host's filesystem, read-only, optionally below `root` (a sysroot prefix).
    public static func hostFilesystem(root: String = "") -> GDBFileProvider {
        GDBFileProvider(
            open: { path, flags throws(GDBFileError) in
                guard !flags.wantsWrite else { throw .readOnly }
                return try HostFile(path: root + path)
            },
            readlink: { path throws(GDBFileError) in try HostFile.readlink(root + path) })
    }
}

/// A read-only file whose contents are in memory.
public final class MemoryFile: GDBFile {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(offset: UInt64, count: Int) throws(GDBFileError) -> [UInt8] {
        guard offset < UInt64(bytes.count), count > 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<min(bytes.count, start + count)])
    }

    public func status() throws(GDBFileError) -> GDBFileStatus { GDBFileStatus(size: UInt64(bytes.count)) }
}

/// A host file opened read-only.
public final class HostFile: GDBFile {
    private let fd: Int32
    private var isOpen = true

    /// Opens `path` read-only; throws the open's errno.
    public init(path: String) throws(GDBFileError) {
        let f = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { throw GDBFileError(errno: errno, "open \(path)") }
        fd = f
    }

    deinit { close() }

    public func read(offset: UInt64, count: Int) throws(GDBFileError) -> [UInt8] {
        guard count > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(Int64(bitPattern: offset))) }
            if n >= 0 { return Array(buf[..<n]) }
            if errno != EINTR { throw GDBFileError(errno: errno, "pread") }
        }
    }

    public func status() throws(GDBFileError) -> GDBFileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw GDBFileError(errno: errno, "fstat") }
        return GDBFileStatus(size: UInt64(st.st_size), mode: st.st_mode,
                             modificationTime: UInt32(truncatingIfNeeded: st.st_mtim.tv_sec))
    }

    public func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fd)
    }

    static func readlink(_ path: String) throws(GDBFileError) -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Glibc.readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { throw GDBFileError(errno: errno, "readlink \(path)") }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The server side of `vFile:`: a descriptor table over a provider, and reply encoding.
final class FileService {
    private let provider: GDBFileProvider
    private var descriptors: [Int32: any GDBFile] = [:]
    private var nextDescriptor: Int32 = 3

    init(provider: GDBFileProvider) { self.provider = provider }

    deinit { for file in descriptors.values { file.close() } }

    /// The reply to `vFile:<rest>`; `maxPayload` bounds binary replies. nil: unknown operation.
    func handle(_ rest: ArraySlice<UInt8>, maxPayload: Int) -> [UInt8]? {
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let op = String(decoding: rest[rest.startIndex..<colon], as: UTF8.self)
        let args = rest[(colon + 1)...]
        do throws(GDBFileError) {
            switch op {
            case "setfs": return text("F0")  // one filesystem view for every process
            case "open": return text("F\(hex(try openFile(args)))")
            case "pread": return try readFile(args, maxPayload: maxPayload)
            case "pwrite": return text("F\(hex(try writeFile(args)))")
            case "close": return text("F\(hex(try closeFile(args)))")
            case "fstat": return try fstatFile(args)
            case "readlink": return try readlink(args, maxPayload: maxPayload)
            case "unlink": throw .readOnly
            default: return nil
            }
        } catch {
            return text("F-1,\(hex(error.protocolErrno))")
        }
    }

    private func openFile(_ args: ArraySlice<UInt8>) throws(GDBFileError) -> Int32 {
        let parts = split(args, 3)
        guard parts.count == 3, let path = Hex.decode(parts[0]), let flags = Hex.number(parts[1]) else {
            throw .invalid
        }
        let file = try provider.open(String(decoding: path, as: UTF8.self), GDBOpenFlags(rawValue: UInt32(truncatingIfNeeded: flags)))
        let fd = nextDescriptor
        nextDescriptor += 1
        descriptors[fd] = file
        return fd
    }

    private func readFile(_ args: ArraySlice<UInt8>, maxPayload: Int) throws(GDBFileError) -> [UInt8] {
        let parts = split(args, 3)
        guard parts.count == 3, let fd = descriptor(parts[0]), let count = Hex.number(parts[1]),
              let offset = Hex.number(parts[2]) else { throw .invalid }
        guard let file = descriptors[fd] else { throw .badDescriptor }
        // "F<n>;" plus escaped data must fit; escaping at most doubles the data.
        let room = maxPayload - 16
        let data = try file.read(offset: offset, count: min(Int(min(count, UInt64(Int.max))), room))
        let (escaped, consumed) = PacketCodec.escapeBinary(data[...], limit: room)
        return Array("F\(hex(Int32(consumed)));".utf8) + escaped
    }

    private func writeFile(_ args: ArraySlice<UInt8>) throws(GDBFileError) -> Int32 {
        let parts = split(args, 3)
        guard parts.count == 3, let fd = descriptor(parts[0]), let offset = Hex.number(parts[1]),
              let data = PacketCodec.unescapeBinary(parts[2]) else { throw .invalid }
        guard let file = descriptors[fd] else { throw .badDescriptor }
        return Int32(try file.write(offset: offset, bytes: data))
    }

    private func closeFile(_ args: ArraySlice<UInt8>) throws(GDBFileError) -> Int32 {
        guard let fd = descriptor(args), let file = descriptors.removeValue(forKey: fd) else { throw .badDescriptor }
        file.close()
        return 0
    }

    private func fstatFile(_ args: ArraySlice<UInt8>) throws(GDBFileError) -> [UInt8] {
        guard let fd = descriptor(args), let file = descriptors[fd] else { throw .badDescriptor }
        let encoded = try file.status().encoded
        return Array("F\(hex(Int32(encoded.count)));".utf8) + PacketCodec.escapeBinary(encoded)
    }

    private func readlink(_ args: ArraySlice<UInt8>, maxPayload: Int) throws(GDBFileError) -> [UInt8] {
        guard let path = Hex.decode(args) else { throw .invalid }
        let target = Array(try provider.readlink(String(decoding: path, as: UTF8.self)).utf8)
        let escaped = PacketCodec.escapeBinary(target)
        guard escaped.count + 16 <= maxPayload else { throw GDBFileError(errno: ENAMETOOLONG, "link target too long") }
        return Array("F\(hex(Int32(target.count)));".utf8) + escaped
    }

    private func descriptor(_ text: some Collection<UInt8>) -> Int32? {
        Hex.number(text).flatMap { Int32(exactly: $0) }
    }

    /// Splits at the first `count - 1` commas (the last field may hold binary commas).
    private func split(_ args: ArraySlice<UInt8>, _ count: Int) -> [ArraySlice<UInt8>] {
        args.split(separator: UInt8(ascii: ","), maxSplits: count - 1, omittingEmptySubsequences: false)
    }

    private func hex(_ v: Int32) -> String { v < 0 ? "-" + String(-Int64(v), radix: 16) : String(v, radix: 16) }
    private func text(_ s: String) -> [UInt8] { Array(s.utf8) }
}
