import Glibc

public enum BundleWriter {
    /// Writes atomically: to "<path>.tmp-<pid>" in the same directory, fsync, rename; mode 0600
    /// (files hold process memory). Throws .writeFailed (disk full etc.) and leaves no temporary
    /// file behind. The manifest's formatVersion is set to the version written.
    /// `amend` may change the manifest once the parts are encoded (and compressed), just before
    /// it is serialized: the recorder stamps the capture time there.
    public static func write(_ bundle: Bundle, to path: String, amend: ((inout Manifest) -> Void)? = nil) throws {
        try write(bundle, to: path, formatVersion: Manifest.currentFormatVersion, amend: amend)
    }

    /// `formatVersion` is a parameter only so tests can produce files from the future.
    static func write(_ bundle: Bundle, to path: String, formatVersion: Int, amend: ((inout Manifest) -> Void)? = nil) throws {
        let members: [(name: String, bytes: [UInt8])]
        do {
            members = try encodeMembers(bundle, formatVersion: formatVersion, amend: amend)
        } catch {
            throw BundleError.writeFailed(path: path, reason: "cannot encode the bundle: \(error)")
        }
        let mtime = UInt64(max(0, time(nil)))
        try AtomicFile.write(to: path) { file in
            for member in members {
                try file.write(Tar.header(name: member.name, size: member.bytes.count, mode: 0o600,
                                          uid: UInt64(getuid()), gid: UInt64(getgid()), mtime: mtime))
                try file.write(member.bytes)
                try file.write([UInt8](repeating: 0, count: Tar.paddedSize(member.bytes.count) - member.bytes.count))
            }
            try file.write([UInt8](repeating: 0, count: Tar.endMarkerSize))
        }
    }

    /// All members in archive order. The parts are encoded first because the manifest, which
    /// comes first, lists their sizes and checksums.
    static func encodeMembers(_ bundle: Bundle, formatVersion: Int, amend: ((inout Manifest) -> Void)? = nil) throws -> [(name: String, bytes: [UInt8])] {
        let parts = [
            try part(FormatV1.state, BundleJSON.encode(StateJSON(bundle.state)), compress: false),
            try part(FormatV1.pages, PageCodec.encode(bundle.pages), compress: true),
            try part(FormatV1.log, LogCodec.encode(bundle.log), compress: true),
            try part(FormatV1.objects, ObjectCodec.encode(bundle.objects), compress: true),
            try part(FormatV1.crashMemory, PageCodec.encode(bundle.crashMemory), compress: true),
        ].prefix(FormatV1.parts(version: formatVersion).count)
        var manifest = bundle.manifest
        amend?(&manifest)
        manifest.formatVersion = formatVersion
        let manifestBytes = try BundleJSON.encode(ManifestJSON(manifest, parts: parts.map(\.info)))
        let hashLine = Array(FormatV1.manifestHashLine(manifestBytes).utf8)
        return [(FormatV1.manifest, manifestBytes)] + parts.map { ($0.info.name, $0.stored) } + [(FormatV1.manifestHash, hashLine)]
    }

    private static func part(_ name: String, _ raw: [UInt8], compress: Bool) throws -> (info: PartInfo, stored: [UInt8]) {
        let stored = compress ? try Zstd.compress(raw) : raw
        let info = PartInfo(name: name, size: UInt64(raw.count), storedSize: UInt64(stored.count),
                            compression: compress ? "zstd" : "none", sha256: SHA256.hex(stored))
        return (info, stored)
    }
}
