import Foundation
import Glibc
import Testing
@testable import VPlayBundle

@Suite struct RoundTripTests {
    @Test func bundleWithEveryEventKindPagesAndThreadsReadsBackEqual() throws {
        let dir = try TempDir()
        let path = dir.file("a.vplay")
        let bundle = sampleBundle()
        try BundleWriter.write(bundle, to: path)
        #expect(try BundleReader.read(path: path) == bundle)
        #expect(try BundleReader.readManifest(path: path) == bundle.manifest)
        #expect(try BundleReader.verify(path: path) == [])
    }

    @Test func exitCodeEndWithoutSignalReadsBackEqual() throws {
        let dir = try TempDir()
        let bundle = sampleBundle(log: [], signal: nil)
        try BundleWriter.write(bundle, to: dir.file("exit.vplay"))
        #expect(try BundleReader.read(path: dir.file("exit.vplay")) == bundle)
    }

    @Test func writerStampsTheCurrentFormatVersion() throws {
        let dir = try TempDir()
        var bundle = sampleBundle()
        bundle.manifest.formatVersion = 0
        try BundleWriter.write(bundle, to: dir.file("v.vplay"))
        #expect(try BundleReader.readManifest(path: dir.file("v.vplay")).formatVersion == Manifest.currentFormatVersion)
    }

    @Test func writtenFileHasMode0600AndNoTemporaryFileRemains() throws {
        let dir = try TempDir()
        let path = dir.file("a.vplay")
        let oldMask = umask(0)   // even a permissive umask must not widen the mode
        defer { umask(oldMask) }
        try BundleWriter.write(sampleBundle(), to: path)
        try BundleWriter.write(sampleBundle(), to: path)   // replacing an existing bundle
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try dir.contents() == ["a.vplay"])
    }

    @Test func objectsAndCrashMemoryRoundTrip() throws {
        let dir = try TempDir()
        var bundle = sampleBundle()
        bundle.objects = [BundledObject(path: "/usr/bin/app", buildID: "abcd", bytes: Array("\u{7f}ELF...".utf8)),
                          BundledObject(path: "/lib/libc.so.6", buildID: nil, bytes: [])]
        bundle.crashMemory = [PageRun(address: 0x7ffc_0000_1000, bytes: [UInt8](repeating: 7, count: 300))]
        try BundleWriter.write(bundle, to: dir.file("o.vplay"))
        #expect(try BundleReader.read(path: dir.file("o.vplay")) == bundle)
        #expect(try BundleReader.verify(path: dir.file("o.vplay")) == [])
    }

    @Test func version1BundlesStillReadWithoutObjects() throws {
        let dir = try TempDir()
        var bundle = sampleBundle()
        bundle.objects = [BundledObject(path: "/usr/bin/app", buildID: nil, bytes: [1, 2, 3])]
        try BundleWriter.write(bundle, to: dir.file("v1.vplay"), formatVersion: 1)
        let listing = try run("/usr/bin/tar", ["tf", dir.file("v1.vplay")])
        #expect(listing.output.split(separator: "\n") == ["manifest.json", "state.json", "pages.bin.zst", "log.bin.zst", "manifest.json.sha256"])
        let read = try BundleReader.read(path: dir.file("v1.vplay"))
        #expect(read.manifest.formatVersion == 1)
        #expect(read.objects.isEmpty && read.crashMemory.isEmpty)
        #expect(read.pages == bundle.pages && read.log == bundle.log)
    }

    @Test func tarListsManifestFirstAndTheDocumentedMembers() throws {
        let dir = try TempDir()
        let path = dir.file("a.vplay")
        try BundleWriter.write(sampleBundle(), to: path)
        let listing = try run("/usr/bin/tar", ["tf", path])
        #expect(listing.status == 0)
        #expect(listing.output.split(separator: "\n") == ["manifest.json", "state.json", "pages.bin.zst", "log.bin.zst", "objects.bin.zst", "crash-memory.bin.zst", "manifest.json.sha256"])
        let verbose = try run("/usr/bin/tar", ["tvf", path])
        #expect(verbose.status == 0)
        #expect(verbose.output.split(separator: "\n").first?.hasSuffix(" manifest.json") == true)
        #expect(verbose.output.split(separator: "\n").first?.hasPrefix("-rw-------") == true)
    }

    @Test func membersExtractedWithTarMatchTheRecordedSHA256() throws {
        let dir = try TempDir()
        try BundleWriter.write(sampleBundle(), to: dir.file("a.vplay"))
        #expect(try run("/usr/bin/tar", ["xf", "a.vplay"], in: dir.path).status == 0)
        // The manifest's own hash is checkable with coreutils...
        let check = try run("/usr/bin/sha256sum", ["-c", "manifest.json.sha256"], in: dir.path)
        #expect(check.status == 0, "\(check.output)")
        // ...and so is every part against the parts table.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("manifest.json")))) as? [String: Any]
        let parts = try #require(manifest?["parts"] as? [[String: Any]])
        #expect(parts.count == 5)
        for part in parts {
            let name = try #require(part["name"] as? String)
            let sum = try run("/usr/bin/sha256sum", [name], in: dir.path)
            #expect(sum.output.hasPrefix(try #require(part["sha256"] as? String) + " "))
            let size = try FileManager.default.attributesOfItem(atPath: dir.file(name))[.size] as? NSNumber
            #expect((part["storedSize"] as? NSNumber)?.intValue == size?.intValue)
        }
    }

    @Test func manifestJSONHasTheDocumentedKeyPaths() throws {
        let manifest = sampleBundle().manifest
        let object = try #require(try JSONSerialization.jsonObject(with: manifest.jsonData()) as? [String: Any])
        let crash = try #require(object["crash"] as? [String: Any])
        #expect(crash["signal"] as? Int == 11)
        #expect(crash["exitCode"] is NSNull)
        #expect(crash["faultAddress"] != nil)
        #expect(crash["pc"] != nil)
        #expect((object["window"] as? [String: Any])?["seconds"] as? Double == 5)
        #expect((object["log"] as? [String: Any])?["syscalls"] as? Int == 4)
        #expect((object["memory"] as? [String: Any])?["savedBytes"] as? Int == 3 * 4096 + 100)
        #expect((object["memory"] as? [String: Any])?["residentBytes"] as? Int == 1 << 30)
        #expect(object["verified"] as? Bool == true)
        #expect(object["formatVersion"] as? Int == Manifest.currentFormatVersion)
        #expect(object["parts"] == nil)
        // xstate is stored as base64 text, not as an array of numbers.
        #expect(((crash["threads"] as? [[String: Any]])?.first?["xstate"]) is String)
        let text = String(decoding: try manifest.jsonData(), as: UTF8.self)
        #expect(text.contains("\"pc\" : 18446744073699065863"))
    }

    @Test func logOf300000EventsRoundTrips() throws {
        let dir = try TempDir()
        let events: [LogEvent] = (0..<300_000).map { i in
            let t = UInt64(i), tid = Int32(100 + i % 4)
            switch i % 6 {
            case 0: return .syscallEntry(tid: tid, time: t, number: Int32(i % 450), args: [t, t &* 3, 0x7fff_0000, 0, 1, 2], strings: i % 12 == 0 ? ["/tmp/f\(i)"] : [])
            case 1: return .syscallExit(tid: tid, time: t, number: Int32(i % 450), result: Int64(i % 7) - 3,
                                        writes: [MemoryWrite(address: 0x7fff_0000 + t, bytes: [UInt8(i & 255), 1, 2, 3])])
            case 2: return .rdtsc(tid: tid, time: t, pc: 0x401000 + t, value: t &* 1000, aux: i % 4 == 0 ? UInt32(i) : nil)
            case 3: return .signal(tid: tid, time: t, signal: 14, siginfo: [UInt8](repeating: UInt8(i & 255), count: 16), registers: registers(t), synchronous: false)
            case 4: return .threadStart(tid: tid, time: t, parent: 100)
            default: return .processEnd(tid: tid, time: t, status: Int32(i))
            }
        }
        let bundle = sampleBundle(log: events)
        try BundleWriter.write(bundle, to: dir.file("big.vplay"))
        let read = try BundleReader.read(path: dir.file("big.vplay"))
        #expect(read.log.count == events.count)
        #expect(read == bundle)
    }
}
