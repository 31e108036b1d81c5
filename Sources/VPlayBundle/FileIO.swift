import Glibc

/// A bundle file opened for reading. Reads are positional so that `readManifest` touches only
/// the headers and the manifest, and every read is checked against the file size first.
final class InputFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw e == ENOENT || e == ENOTDIR ? BundleError.notFound(path: path) : BundleError.unreadable(path: path, errno: e)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw BundleError.unreadable(path: path, errno: e)
        }
        guard st.st_mode & S_IFMT != S_IFDIR else {
            close(fd)
            throw BundleError.unreadable(path: path, errno: EISDIR)
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Exactly `count` bytes at `offset`; `what` names them in the truncation message.
    func read(at offset: Int, count: Int, what: String) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw BundleError.truncated(path: path, detail: "\(what) needs \(count) bytes at offset \(offset), but the file has \(size) bytes")
        }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                let n = pread(fd, buffer.baseAddress.map { $0 + filled }, count - filled, off_t(offset + filled))
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw BundleError.unreadable(path: path, errno: errno) }
                // The file shrank after fstat.
                guard n > 0 else { throw BundleError.truncated(path: path, detail: "\(what) ends at offset \(offset + filled)") }
                filled += n
            }
        }
    }
}

/// Writes a file atomically: a temporary sibling "<path>.tmp-<pid>" (mode 0600, since bundles
/// hold process memory), fsync, rename over `path`, fsync of the directory. Any failure removes
/// the temporary file and throws `.writeFailed`.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    /// nil once closed, so a failure after close never closes a descriptor reused by another thread.
    private var fd: Int32?

    static func write(to path: String, _ body: (AtomicFile) throws -> Void) throws {
        let file = try AtomicFile(path: path)
        do {
            try body(file)
            try file.commit()
        } catch {
            file.closeIfOpen()
            unlink(file.temporaryPath)
            throw error
        }
    }

    private init(path: String) throws {
        self.path = path
        temporaryPath = "\(path).tmp-\(getpid())"
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(temporaryPath, flags, 0o600)
        if fd < 0 && errno == EEXIST {
            // Left over by an earlier process that had our pid and died mid-write.
            unlink(temporaryPath)
            fd = open(temporaryPath, flags, 0o600)
        }
        guard fd >= 0 else { throw BundleError.writeFailed(path: path, reason: "cannot create \(temporaryPath): \(errnoString(errno))") }
        self.fd = fd
        // The umask may have removed owner bits; the mode must be exactly 0600.
        guard fchmod(fd, 0o600) == 0 else {
            let error = failure("setting the mode of \(temporaryPath)")
            closeIfOpen()
            unlink(temporaryPath)
            throw error
        }
    }

    deinit { closeIfOpen() }

    func write(_ bytes: [UInt8]) throws {
        guard let fd else { throw BundleError.writeFailed(path: path, reason: "\(temporaryPath) is closed") }
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                // A regular file that accepts no bytes is full; write() then sets no errno.
                guard n != 0 else { throw failure("writing \(temporaryPath)", errno: ENOSPC) }
                guard n > 0 else { throw failure("writing \(temporaryPath)") }
                done += n
            }
        }
    }

    private func commit() throws {
        guard let fd else { throw BundleError.writeFailed(path: path, reason: "\(temporaryPath) is closed") }
        guard fsync(fd) == 0 else { throw failure("syncing \(temporaryPath)") }
        self.fd = nil
        guard close(fd) == 0 else { throw failure("closing \(temporaryPath)") }
        guard rename(temporaryPath, path) == 0 else { throw failure("renaming \(temporaryPath) to \(path)") }
        syncDirectory()
    }

    private func closeIfOpen() {
        if let fd { close(fd) }
        fd = nil
    }

    /// Makes the rename durable. Best effort: the bundle is complete either way.
    private func syncDirectory() {
        let dir = path.lastIndex(of: "/").map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        fsync(dfd)
        close(dfd)
    }

    private func failure(_ doing: String, errno code: Int32 = errno) -> BundleError {
        .writeFailed(path: path, reason: "\(doing): \(errnoString(code))")
    }
}
