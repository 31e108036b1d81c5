public enum BundleReader {
    /// Reads and validates everything: tar headers (incl. their checksums), member order, every
    /// part checksum, decompressed sizes, decoding bounds. Never traps on any input.
    public static func read(path: String) throws -> Bundle {
        let archive = try Archive.open(path: path)
        return Bundle(manifest: archive.manifest, state: try archive.state(), pages: try archive.pages(), log: try archive.log(),
                      objects: try archive.objects(), crashMemory: try archive.crashMemory())
    }

    /// Reads only the manifest (fast, for inspect/list): the tar headers, manifest.json and its
    /// hash are checked, the parts are not read.
    public static func readManifest(path: String) throws -> Manifest {
        try Archive.open(path: path).manifest
    }

    /// Checks format and every checksum and decodes every part; returns the problems found
    /// (empty = fine). Throws only when the file cannot be read at all.
    public static func verify(path: String) throws -> [String] {
        let archive: Archive
        do {
            archive = try Archive.open(path: path)
        } catch let error as BundleError {
            switch error {
            case .notFound, .unreadable: throw error
            default: return [error.description]
            }
        }
        let checks: [() throws -> Void] = [{ _ = try archive.state() }, { _ = try archive.pages() }, { _ = try archive.log() },
                                           { _ = try archive.objects() }, { _ = try archive.crashMemory() }]
        var problems: [String] = []
        for check in checks {
            do { try check() } catch let error as BundleError {
                if case .unreadable = error { throw error }
                problems.append(error.description)
            }
        }
        return problems
    }
}

/// An opened, structurally validated bundle: all tar headers, the manifest and its hash have
/// been checked; the parts are read on demand.
struct Archive {
    struct Member {
        var name: String
        var dataOffset: Int
        var size: Int
        var end: Int { dataOffset + Tar.paddedSize(size) }
    }

    let file: InputFile
    let manifest: Manifest
    private let parts: [String: (member: Member, info: PartInfo)]

    static func open(path: String) throws -> Archive {
        let file = try InputFile(path: path)
        let first = try firstMember(file)
        let manifestBytes = try file.read(at: first.dataOffset, count: first.size, what: FormatV1.manifest)
        let version = try? BundleJSON.decode(VersionProbe.self, from: manifestBytes).formatVersion
        let members: [Member]
        do {
            members = try laterMembers(file, after: first, version: version ?? Manifest.currentFormatVersion)
        } catch let error as BundleError {
            // Another format version may be laid out differently: say so rather than "corrupted".
            if let version, !Manifest.readableFormatVersions.contains(version) { throw unsupported(path, version) }
            throw error
        }
        try checkManifestHash(file, manifestBytes, hashMember: members[members.count - 1])
        guard let version else { throw BundleError.corrupted(path: path, what: "manifest.json has no numeric formatVersion") }
        guard Manifest.readableFormatVersions.contains(version) else { throw unsupported(path, version) }
        let json: ManifestJSON
        do {
            json = try BundleJSON.decode(ManifestJSON.self, from: manifestBytes)
        } catch {
            throw BundleError.corrupted(path: path, what: "manifest.json: \(BundleJSON.explain(error))")
        }
        return Archive(file: file, manifest: json.manifest, parts: try matchParts(json.parts ?? [], members, path, version: version))
    }

    func state() throws -> ProcessState {
        let bytes = try data(of: FormatV1.state)
        do {
            return try BundleJSON.decode(StateJSON.self, from: bytes).state
        } catch {
            throw BundleError.corrupted(path: file.path, what: "\(FormatV1.state): \(BundleJSON.explain(error))")
        }
    }

    func pages() throws -> [PageRun] {
        try decode(FormatV1.pages, with: PageCodec.decode)
    }

    func log() throws -> [LogEvent] {
        try decode(FormatV1.log, with: LogCodec.decode)
    }

    /// Absent (empty) in version 1.
    func objects() throws -> [BundledObject] {
        manifest.formatVersion < 2 ? [] : try decode(FormatV1.objects, with: ObjectCodec.decode)
    }

    func crashMemory() throws -> [PageRun] {
        manifest.formatVersion < 2 ? [] : try decode(FormatV1.crashMemory, with: PageCodec.decode)
    }

    private func decode<T>(_ name: String, with decoder: ([UInt8]) throws -> T) throws -> T {
        let bytes = try data(of: name)
        do {
            return try decoder(bytes)
        } catch {
            throw BundleError.corrupted(path: file.path, what: "\(name): \(error)")
        }
    }

    /// A part's bytes, checksum-verified and decompressed to exactly the recorded size.
    private func data(of name: String) throws -> [UInt8] {
        guard let (member, info) = parts[name] else { throw BundleError.corrupted(path: file.path, what: "no member \(name)") }
        let stored = try file.read(at: member.dataOffset, count: member.size, what: name)
        guard SHA256.hex(stored) == info.sha256 else { throw BundleError.checksumMismatch(path: file.path, member: name) }
        switch info.compression {
        case "none":
            guard info.size == info.storedSize else {
                throw BundleError.corrupted(path: file.path, what: "\(name) is uncompressed but its sizes differ")
            }
            return stored
        case "zstd":
            guard let size = Int(exactly: info.size) else {
                throw BundleError.corrupted(path: file.path, what: "\(name): impossible size \(info.size)")
            }
            do {
                return try Zstd.decompress(stored, expectedSize: size)
            } catch {
                throw BundleError.corrupted(path: file.path, what: "\(name): \(error)")
            }
        default:
            throw BundleError.corrupted(path: file.path, what: "\(name): unknown compression \"\(info.compression)\"")
        }
    }

    // MARK: Structure

    /// The first header decides between "not a bundle at all" and "a damaged bundle".
    private static func firstMember(_ file: InputFile) throws -> Member {
        let head = try file.read(at: 0, count: min(file.size, Tar.block), what: "first tar header")
        guard !head.isEmpty, Tar.looksLikeBundleStart(head) else { throw BundleError.notABundle(path: file.path) }
        let member = try member(file, at: 0, expected: FormatV1.manifest)
        // Bound what the JSON decoder is given; real manifests are kilobytes.
        guard member.size <= 256 << 20 else {
            throw BundleError.corrupted(path: file.path, what: "manifest.json claims \(member.size) bytes")
        }
        return member
    }

    /// Every member after the manifest in v1 order, then the end-of-archive marker.
    private static func laterMembers(_ file: InputFile, after first: Member, version: Int) throws -> [Member] {
        var members: [Member] = []
        var offset = first.end
        for name in FormatV1.members(version: version).dropFirst() {
            let m = try member(file, at: offset, expected: name)
            members.append(m)
            offset = m.end
        }
        let marker = try file.read(at: offset, count: Tar.endMarkerSize, what: "end-of-archive marker")
        guard marker.allSatisfy({ $0 == 0 }) else {
            throw BundleError.corrupted(path: file.path, what: "end-of-archive marker at offset \(offset) is not zero")
        }
        return members
    }

    private static func member(_ file: InputFile, at offset: Int, expected name: String) throws -> Member {
        let block = try file.read(at: offset, count: Tar.block, what: "tar header of \(name)")
        let header: Tar.Header
        do {
            header = try Tar.parse(block)
        } catch let error as Tar.HeaderError {
            throw BundleError.corrupted(path: file.path, what: "tar header of \(name) at offset \(offset): \(error.message)")
        }
        guard header.name == name else {
            if offset == 0 { throw BundleError.notABundle(path: file.path) }
            throw BundleError.corrupted(path: file.path, what: "expected member \(name) at offset \(offset), found \"\(header.name)\"")
        }
        let dataOffset = offset + Tar.block
        // Check the padded extent now, so a cut anywhere, even in padding, reads as truncation.
        guard header.size <= file.size - dataOffset, Tar.paddedSize(header.size) <= file.size - dataOffset else {
            throw BundleError.truncated(path: file.path, detail: "member \(name) needs \(header.size) bytes at offset \(dataOffset), but the file has \(file.size) bytes")
        }
        return Member(name: name, dataOffset: dataOffset, size: header.size)
    }

    private static func checkManifestHash(_ file: InputFile, _ manifestBytes: [UInt8], hashMember m: Member) throws {
        let line = try file.read(at: m.dataOffset, count: m.size, what: FormatV1.manifestHash)
        guard line == Array(FormatV1.manifestHashLine(manifestBytes).utf8) else {
            throw BundleError.checksumMismatch(path: file.path, member: FormatV1.manifest)
        }
    }

    /// The parts table must list exactly the v1 parts, in order, with the archive's sizes.
    private static func matchParts(_ table: [PartInfo], _ members: [Member], _ path: String, version: Int) throws -> [String: (member: Member, info: PartInfo)] {
        let expected = FormatV1.parts(version: version)
        guard table.map(\.name) == expected else {
            throw BundleError.corrupted(path: path, what: "manifest parts table lists \(table.map(\.name)), expected \(expected)")
        }
        var result: [String: (member: Member, info: PartInfo)] = [:]
        for (info, member) in zip(table, members) {
            guard info.storedSize == UInt64(member.size) else {
                throw BundleError.corrupted(path: path, what: "\(info.name) is \(member.size) bytes in the archive, manifest says \(info.storedSize)")
            }
            result[info.name] = (member, info)
        }
        return result
    }

    private static func unsupported(_ path: String, _ version: Int) -> BundleError {
        .unsupportedVersion(path: path, found: version, supported: Manifest.currentFormatVersion)
    }
}
