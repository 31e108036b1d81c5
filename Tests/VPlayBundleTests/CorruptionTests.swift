import Foundation
import Testing
@testable import VPlayBundle

@Suite struct CorruptionTests {
    /// A written sample bundle and its bytes.
    private func writtenSample(_ dir: TempDir) throws -> (bundle: Bundle, bytes: [UInt8]) {
        let bundle = sampleBundle()
        try BundleWriter.write(bundle, to: dir.file("good.vplay"))
        return (bundle, try readBytes(dir.file("good.vplay")))
    }

    @Test func truncatedFileThrowsTruncatedAtEveryCut() throws {
        let dir = try TempDir()
        let (_, bytes) = try writtenSample(dir)
        var cuts: Set<Int> = [1, 100, 511, 512, bytes.count - 1024, bytes.count - 1]
        for i in 1..<50 { cuts.insert(bytes.count * i / 50) }
        for m in members(of: bytes) {
            let edges: [Int] = [m.header, m.data, m.data + m.size, m.paddingEnd]
            for edge in edges where edge > 1 && edge + 1 < bytes.count {
                cuts.formUnion([edge - 1, edge, edge + 1])
            }
        }
        let path = dir.file("cut.vplay")
        for cut in cuts.sorted() {
            try writeBytes(Array(bytes[..<cut]), to: path)
            let error = bundleError { try BundleReader.read(path: path) }
            guard case .truncated? = error else {
                Issue.record("cut at \(cut) of \(bytes.count): \(String(describing: error))")
                continue
            }
            #expect(bundleError { try BundleReader.readManifest(path: path) } != nil, "readManifest, cut at \(cut)")
            #expect(try BundleReader.verify(path: path).count == 1, "verify, cut at \(cut)")
        }
    }

    @Test func flippedBytesAreDetectedExceptInTarPadding() throws {
        let dir = try TempDir()
        let (bundle, bytes) = try writtenSample(dir)
        let layout = members(of: bytes)
        let names: [String] = layout.map { $0.name }
        #expect(names == FormatV1.members)
        let padding: [Range<Int>] = layout.map { ($0.data + $0.size)..<$0.paddingEnd }
        var offsets: Set<Int> = [bytes.count - 1024, bytes.count - 1]
        for i in 0..<100 { offsets.insert(bytes.count * i / 100) }
        let headerFields: [Int] = [0, 1, 13, 99, 100, 108, 116, 124, 134, 135, 136, 148, 153, 154, 155, 156, 257, 262, 263, 264, 300, 345, 511]
        for m in layout {
            for field in headerFields { offsets.insert(m.header + field) }
            let dataEdges: [Int] = [m.data, m.data + m.size - 1, m.data + m.size, m.paddingEnd - 1]
            for edge in dataEdges where edge < bytes.count { offsets.insert(edge) }
        }
        let path = dir.file("flipped.vplay")
        for offset in offsets.sorted() {
            var damaged = bytes
            damaged[offset] ^= 0xff
            try writeBytes(damaged, to: path)
            let inPadding = padding.contains { $0.contains(offset) }
            let error = bundleError { try BundleReader.read(path: path) }
            switch error {
            case nil:
                #expect(inPadding, "flip at \(offset) went unnoticed")
                #expect(try BundleReader.read(path: path) == bundle)
            case .checksumMismatch?, .corrupted?:
                #expect(!inPadding, "flip in padding at \(offset) was rejected: \(String(describing: error))")
                #expect(try BundleReader.verify(path: path).count >= 1)
            default:
                Issue.record("flip at \(offset): unexpected \(String(describing: error))")
            }
        }
    }

    @Test func damagedPartIsNamedByVerifyWhileOthersStillPass() throws {
        let dir = try TempDir()
        let (_, bytes) = try writtenSample(dir)
        let pages = try #require(members(of: bytes).first { $0.name == "pages.bin.zst" })
        var damaged = bytes
        damaged[pages.data + pages.size / 2] ^= 0x01
        try writeBytes(damaged, to: dir.file("d.vplay"))
        let problems = try BundleReader.verify(path: dir.file("d.vplay"))
        #expect(problems.count == 1)
        #expect(problems.first?.contains("pages.bin.zst") == true)
        #expect(problems.first?.contains(dir.file("d.vplay")) == true)
        #expect(bundleError { try BundleReader.read(path: dir.file("d.vplay")) } == .checksumMismatch(path: dir.file("d.vplay"), member: "pages.bin.zst"))
        // The manifest itself is intact, so inspect still works.
        #expect(try BundleReader.readManifest(path: dir.file("d.vplay")) == sampleBundle().manifest)
    }

    @Test func formatVersion99ThrowsUnsupportedVersion() throws {
        let dir = try TempDir()
        let path = dir.file("future.vplay")
        try BundleWriter.write(sampleBundle(), to: path, formatVersion: 99)
        let expected = BundleError.unsupportedVersion(path: path, found: 99, supported: Manifest.currentFormatVersion)
        #expect(bundleError { try BundleReader.read(path: path) } == expected)
        #expect(bundleError { try BundleReader.readManifest(path: path) } == expected)
        #expect(try BundleReader.verify(path: path) == [expected.description])
    }

    @Test func futureVersionWithDifferentLayoutThrowsUnsupportedVersion() throws {
        let dir = try TempDir()
        try writeBytes(Array(#"{"formatVersion": 4, "somethingNew": true}"#.utf8), to: dir.file("manifest.json"))
        try run("/usr/bin/tar", ["--format=ustar", "-cf", "v4.vplay", "manifest.json"], in: dir.path)
        let path = dir.file("v4.vplay")
        #expect(bundleError { try BundleReader.readManifest(path: path) } == .unsupportedVersion(path: path, found: 4, supported: Manifest.currentFormatVersion))
    }

    @Test func nonTarFileThrowsNotABundle() throws {
        let dir = try TempDir()
        let text = dir.file("notes.vplay"), empty = dir.file("empty.vplay")
        try writeBytes(Array(String(repeating: "just some text\n", count: 100).utf8), to: text)
        try writeBytes([], to: empty)
        #expect(bundleError { try BundleReader.read(path: text) } == .notABundle(path: text))
        #expect(bundleError { try BundleReader.readManifest(path: empty) } == .notABundle(path: empty))
        #expect(try BundleReader.verify(path: text) == [BundleError.notABundle(path: text).description])
    }

    @Test func tarWithAnotherFirstMemberThrowsNotABundle() throws {
        let dir = try TempDir()
        try writeBytes(Array("hi".utf8), to: dir.file("readme.txt"))
        try run("/usr/bin/tar", ["--format=ustar", "-cf", "other.tar", "readme.txt"], in: dir.path)
        #expect(bundleError { try BundleReader.read(path: dir.file("other.tar")) } == .notABundle(path: dir.file("other.tar")))
    }

    @Test func missingPathThrowsNotFound() throws {
        let dir = try TempDir()
        let path = dir.file("nope/missing.vplay")
        #expect(bundleError { try BundleReader.read(path: path) } == .notFound(path: path))
        #expect(bundleError { try BundleReader.readManifest(path: dir.file("missing.vplay")) } == .notFound(path: dir.file("missing.vplay")))
        #expect(throws: BundleError.notFound(path: path)) { try BundleReader.verify(path: path) }
    }

    @Test func directoryThrowsUnreadable() throws {
        let dir = try TempDir()
        #expect(bundleError { try BundleReader.read(path: dir.path) } == .unreadable(path: dir.path, errno: EISDIR))
    }

    @Test func writingIntoMissingDirectoryThrowsWriteFailed() throws {
        let dir = try TempDir()
        let path = dir.file("no/such/dir/a.vplay")
        let error = bundleError { try BundleWriter.write(sampleBundle(), to: path) }
        guard case .writeFailed(let p, let reason)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(reason.contains("No such file or directory"))
        #expect(try dir.contents() == [])
    }

    @Test func failedRenameLeavesNoTemporaryFile() throws {
        let dir = try TempDir()
        let target = dir.file("occupied")
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        let error = bundleError { try BundleWriter.write(sampleBundle(), to: target) }
        guard case .writeFailed? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(try dir.contents() == ["occupied"])
    }

    @Test func errorDescriptionsNameTheFileAndTheProblem() {
        let errors: [BundleError] = [
            .notFound(path: "/x.vplay"), .unreadable(path: "/x.vplay", errno: EACCES),
            .truncated(path: "/x.vplay", detail: "log.bin.zst"), .corrupted(path: "/x.vplay", what: "state.json"),
            .checksumMismatch(path: "/x.vplay", member: "pages.bin.zst"),
            .unsupportedVersion(path: "/x.vplay", found: 99, supported: 1), .notABundle(path: "/x.vplay"),
            .writeFailed(path: "/x.vplay", reason: "No space left on device"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("/x.vplay: "))
            #expect(error.path == "/x.vplay")
        }
        #expect(errors[1].description.contains("Permission denied"))
        #expect(errors[5].description.contains("99"))
    }
}
