import Foundation
import Testing
import VPlayTestSupport
import VPlaySymbols

/// Damaged objects must give typed errors, never a crash.
@Suite(.timeLimit(.minutes(3)))
struct MalformedInputTests {
    /// Parses everything this package can parse from `bytes`; returns how many parts failed.
    @discardableResult
    static func exercise(_ bytes: [UInt8]) -> Int {
        var failures = 0
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch { failures += 1 }
        }
        guard let elf = try? ELFFile(bytes: bytes) else { return 1 }
        attempt { _ = try elf.allSymbols() }
        attempt { _ = try elf.buildID() }
        attempt { _ = try elf.soname() }
        attempt {
            if let hdr = try elf.ehFrameHeaderBytes() { _ = try EhFrameHeader(bytes: hdr.bytes, address: hdr.address) }
        }
        attempt {
            let symbols = try ObjectSymbols(path: "/fuzz", elf: elf)
            let info = try CallFrameInfo(ehFrame: symbols.ehFrame, address: symbols.ehFrameAddress)
            for fde in info.descriptions.prefix(200) { _ = try info.row(of: fde, at: fde.pcRange.upperBound - 1) }
            _ = Symbolizer(objects: [LoadedObject(symbols: symbols, bias: 0)]).symbolize(symbols.loadAddress + 0x1000)
        }
        return failures
    }

    static func smallProgram() throws -> [UInt8] {
        let dir = try TempDirectory()
        defer { dir.remove() }
        return try readFile(try compileC(callChainSource, name: "fuzz", flags: ["-O2"], in: dir))
    }

    @Test(.needs("gcc"))
    func everyTruncationThrows() throws {
        let bytes = try Self.smallProgram()
        #expect(Self.exercise(bytes) == 0, "the intact program parses")
        // The section headers are at the end, so no proper prefix is a complete object.
        var lengths = Array(0..<300)
        lengths += stride(from: 300, to: bytes.count, by: 37)
        for length in lengths {
            #expect(throws: ELFError.self, "prefix of \(length) bytes") { try ELFFile(bytes: Array(bytes.prefix(length))) }
        }
        #expect(throws: ELFError.notELF) { try ELFFile(bytes: Array(bytes.prefix(10))) }
    }

    @Test(.needs("gcc"))
    func randomMutationsGiveErrorsNotCrashes() throws {
        let original = try Self.smallProgram()
        var rng = SplitMix64(seed: 0x5eed_0f_e1f)
        var failed = 0
        // Headers and tables decide the structure: aim half the mutations at them.
        let elf = try ELFFile(bytes: original)
        let hot = [0..<64, Int(elf.header.programHeaderOffset)..<Int(elf.header.programHeaderOffset) + 56 * elf.programHeaders.count,
                   Int(elf.header.sectionHeaderOffset)..<original.count]
            + elf.sections.filter { [".eh_frame", ".eh_frame_hdr", ".symtab", ".dynamic", ".note.gnu.build-id"].contains($0.name) }
                .map { Int($0.offset)..<Int($0.offset + $0.size) }
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let region = Bool.random(using: &rng) ? hot.randomElement(using: &rng) ?? 0..<64 : 0..<bytes.count
                let i = Int.random(in: region, using: &rng)
                if Bool.random(using: &rng) {
                    bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                } else {
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            if Self.exercise(bytes) > 0 { failed += 1 }
        }
        // Not every mutation matters, but many must have been detected.
        #expect(failed > 40, "only \(failed) of 400 mutations were rejected")
    }

    @Test func mutatedEhFrameOfLibcNeverCrashesTheCFIDecoder() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        let eh = try #require(try elf.ehFrameBytes())
        var rng = SplitMix64(seed: 42)
        var rejected = 0
        for _ in 0..<300 {
            var bytes = Array(eh.bytes.prefix(4096))
            for _ in 0..<4 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            do {
                let info = try CallFrameInfo(ehFrame: bytes, address: eh.address)
                for fde in info.descriptions { _ = try info.row(of: fde, at: fde.pcRange.lowerBound &+ 7) }
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test func headerCorruptionsNameTheFieldAndOffset() throws {
        let original = try readFile(Prerequisite.libc)
        func corrupt(_ edit: (inout [UInt8]) -> Void) -> ELFError? {
            var bytes = original
            edit(&bytes)
            do { _ = try ELFFile(bytes: bytes); return nil } catch { return error }
        }
        #expect(corrupt { $0[0] = 0 } == .notELF)
        #expect(corrupt { $0[4] = 1 } == .unsupported(what: "class (EI_CLASS; only ELF64)", value: 1))
        #expect(corrupt { $0[5] = 2 } == .unsupported(what: "data encoding (EI_DATA; only little-endian)", value: 2))
        // e_shoff far past the end.
        let farSections = corrupt { for i in 40..<48 { $0[i] = 0xff } }
        guard case .truncated(what: "section headers", offset: _, length: _) = farSections else {
            Issue.record("e_shoff: \(String(describing: farSections))"); return
        }
        #expect(corrupt { $0[62] = 0xf0; $0[63] = 0x00 } == .malformed(what: "e_shstrndx 240 out of range", offset: 62))
        #expect(corrupt { $0[54] = 8; $0[55] = 0 } == .malformed(what: "e_phentsize 8", offset: 54))
        #expect(String(describing: farSections).contains("offset 0xffffffffffffffff"))
    }
}
