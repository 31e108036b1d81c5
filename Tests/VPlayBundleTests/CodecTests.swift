import Foundation
import Testing
@testable import VPlayBundle

@Suite struct CodecTests {
    @Test func sha256MatchesTheStandardTestVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func logWithEveryEventKindRoundTrips() throws {
        #expect(try LogCodec.decode(LogCodec.encode(everyKindOfEvent)) == everyKindOfEvent)
        #expect(try LogCodec.decode(LogCodec.encode([])) == [])
    }

    @Test func everyTruncationOfAnEncodedLogIsRejected() throws {
        let encoded = try LogCodec.encode(everyKindOfEvent)
        for cut in 0..<encoded.count {
            #expect(throws: DecodeFailure.self, "cut at \(cut)") { try LogCodec.decode(Array(encoded[..<cut])) }
        }
        #expect(throws: DecodeFailure.self) { try LogCodec.decode(encoded + [0]) }
    }

    @Test func garbageLogsAndPagesNeverTrap() {
        let encoded = (try? LogCodec.encode(everyKindOfEvent)) ?? []
        for seed in 1...300 {
            var damaged = encoded
            let noise = pattern(4, seed: UInt64(seed))
            damaged[Int(noise[0]) * encoded.count / 256] = noise[1]
            damaged[Int(noise[2]) * encoded.count / 256] = noise[3]
            _ = try? LogCodec.decode(damaged)
            _ = try? LogCodec.decode(pattern(seed, seed: UInt64(seed)))
            _ = try? PageCodec.decode(pattern(seed, seed: UInt64(seed)))
        }
        // A count that cannot fit is refused before anything is reserved.
        #expect(throws: DecodeFailure.self) { try LogCodec.decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) }
    }

    @Test func pageRunLongerThanTheDataIsRejected() throws {
        var encoded = PageCodec.encode([PageRun(address: 0x1000, bytes: [1, 2, 3])])
        #expect(try PageCodec.decode(encoded) == [PageRun(address: 0x1000, bytes: [1, 2, 3])])
        encoded[8] = 4
        #expect(throws: DecodeFailure.self) { try PageCodec.decode(encoded) }
    }

    @Test func tarHeaderRoundTripsLargeSizesInBase256() throws {
        for size in [0, 511, 8 << 30 - 1, 8 << 30, 1 << 40] {
            let header = Tar.header(name: "pages.bin.zst", size: size, mode: 0o600, uid: 5_000_000, gid: 0, mtime: 1_700_000_000)
            let parsed = try Tar.parse(header)
            #expect(parsed.name == "pages.bin.zst")
            #expect(parsed.size == size)
        }
    }

    @Test func zstdRejectsASizeThatDisagreesWithTheFrame() throws {
        let data = pattern(1000, seed: 9)
        let compressed = try Zstd.compress(data)
        #expect(try Zstd.decompress(compressed, expectedSize: 1000) == data)
        #expect(throws: Zstd.Failure.self) { try Zstd.decompress(compressed, expectedSize: 999) }
        #expect(throws: Zstd.Failure.self) { try Zstd.decompress(Array(compressed.prefix(3)), expectedSize: 1000) }
        #expect(try Zstd.decompress(Zstd.compress([]), expectedSize: 0) == [])
    }
}
