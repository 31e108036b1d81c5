// The packet layer: checksums, framing, escaping, run-length encoding, malformed input.

import Testing
import VPlayTestSupport
@testable import VPlayGDB

/// A small deterministic generator, so a failing fuzz case can be replayed.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite(.serialized, .timeLimit(.minutes(1)))
struct PacketTests {
    @Test func checksumIsTheByteSumModulo256() {
        #expect(PacketCodec.checksum(bytes("OK")) == 0x9a)
        #expect(PacketCodec.checksum([]) == 0)
        #expect(PacketCodec.checksum([0xff, 0x02]) == 0x01)
    }

    @Test func framingAddsDollarHashAndTwoLowercaseHexDigits() {
        #expect(PacketCodec.frame(bytes("OK")) == bytes("$OK#9a"))
        #expect(PacketCodec.frame([]) == bytes("$#00"))
    }

    @Test func escapingCoversTheFourSpecialCharacters() {
        #expect(PacketCodec.escapeBinary([0x23, 0x24, 0x7d, 0x2a, 0x41]) == [0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x41])
        let all = (0...255).map { UInt8($0) }
        #expect(PacketCodec.unescapeBinary(PacketCodec.escapeBinary(all)) == all)
        #expect(PacketCodec.unescapeBinary(bytes("ab}")) == nil)
    }

    @Test func escapingWithALimitNeverSplitsAnEscapePair() {
        let data: [UInt8] = [0x41, 0x23, 0x42]
        let cut = PacketCodec.escapeBinary(data[...], limit: 2)
        #expect(cut.escaped == [0x41])
        #expect(cut.consumed == 1)
    }

    @Test func runLengthEncodingExpands() {
        // '*' then ' ' (32): 3 more of the previous character.
        #expect(PacketCodec.expandRunLength(bytes("0* ")) == bytes("0000"))
        #expect(PacketCodec.expandRunLength(bytes("a*\"b")) == bytes("aaaaaab"))  // '"' is 34: 5 more
        #expect(PacketCodec.expandRunLength(bytes("*!")) == nil)
        #expect(PacketCodec.expandRunLength(bytes("a*")) == nil)
    }

    @Test func runLengthCompressionRoundTrips() {
        var rng = XorShift(seed: 7)
        for _ in 0..<200 {
            let symbols: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "f"), UInt8(ascii: "x")]
            let payload: [UInt8] = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in
                symbols.randomElement(using: &rng) ?? 0
            }
            let packed = PacketCodec.compressRunLength(payload)
            #expect(!packed.contains(UInt8(ascii: "#")) && !packed.contains(UInt8(ascii: "$")))
            #expect(PacketCodec.expandRunLength(packed) == payload)
        }
    }

    @Test func parserReportsAcksInterruptsAndPackets() {
        var parser = PacketParser()
        let events = parser.feed(bytes("+-junk$OK#9a") + [0x03] + bytes("$0* #") + Hex.encode([PacketCodec.checksum(bytes("0* "))]).utf8)
        #expect(events == [.ack, .nack, .packet(bytes("OK")), .interrupt, .packet(bytes("0000"))])
    }

    @Test func malformedPacketsBecomeErrorsAndParsingGoesOn() {
        var parser = PacketParser(maxPayload: 8)
        #expect(parser.feed(bytes("$OK#00")) == [.corrupt(.checksumMismatch(expected: 0, computed: 0x9a))])
        #expect(parser.feed(bytes("$OK#zz")) == [.corrupt(.malformedChecksum)])
        #expect(parser.feed(bytes("$O$OK#9a")) == [.corrupt(.interruptedByNewPacket), .packet(bytes("OK"))])
        #expect(parser.feed(bytes("$0123456789#00$OK#9a")) == [.corrupt(.tooLong(limit: 8)), .packet(bytes("OK"))])
        #expect(parser.feed(bytes("$*!#4b")) == [.corrupt(.badRunLength)])
        #expect(parser.feed(bytes("$OK#9a")) == [.packet(bytes("OK"))])
    }

    @Test func binaryPayloadsSurviveFramingAndParsing() {
        let data = (0...255).map { UInt8($0) }
        var parser = PacketParser()
        let events = parser.feed(PacketCodec.frame(bytes("X1000,100:") + PacketCodec.escapeBinary(data)))
        guard case let .packet(payload)? = events.first else {
            Issue.record("no packet: \(events)")
            return
        }
        #expect(PacketCodec.unescapeBinary(payload.dropFirst(10)) == data)
    }

    @Test func randomByteStreamsNeverCrashTheParser() {
        var rng = XorShift(seed: 0x5eed)
        let alphabet = bytes("$#}*+-0123456789abcdefOKgmX:,;") + [0x03, 0x00, 0xff]
        for _ in 0..<500 {
            var parser = PacketParser(maxPayload: 64)
            let stream = (0..<Int.random(in: 0..<400, using: &rng)).map { _ in
                Bool.random(using: &rng) ? (alphabet.randomElement(using: &rng) ?? 0) : UInt8.random(in: 0...255, using: &rng)
            }
            for event in parser.feed(stream) {
                if case let .packet(p) = event { #expect(p.count <= 64 * 95) }
            }
        }
    }

    @Test func validPacketsAreRecoveredFromNoise() {
        var rng = XorShift(seed: 42)
        for _ in 0..<200 {
            var stream: [UInt8] = []
            var sent: [[UInt8]] = []
            for _ in 0..<Int.random(in: 1..<6, using: &rng) {
                // Noise without '$' between packets is skipped.
                stream += (0..<Int.random(in: 0..<10, using: &rng)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0..<26, using: &rng) }
                let payload = PacketCodec.escapeBinary((0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                sent.append(payload)
                stream += PacketCodec.frame(payload)
            }
            var parser = PacketParser()
            #expect(parser.feed(stream) == sent.map { .packet($0) })
        }
    }

    @Test func gdbSignalNumbersDifferFromLinuxOnes() {
        #expect(GDBSignal.fromLinux(11) == 11)  // SIGSEGV
        #expect(GDBSignal.fromLinux(10) == 30)  // SIGUSR1
        #expect(GDBSignal.fromLinux(7) == 10)  // SIGBUS
        #expect(GDBSignal.fromLinux(17) == 20)  // SIGCHLD
        #expect(GDBSignal.fromLinux(34) == 46)  // SIGRTMIN
        for linux in Int32(1)...64 where linux != 16 {
            #expect(GDBSignal.toLinux(GDBSignal.fromLinux(linux)) == linux)
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct RegisterLayoutTests {
    @Test func theWholeFileIsInRegisterNumberOrder() {
        #expect(AMD64RegisterLayout.totalSize == 560)
        var r = AMD64Registers()
        r.rax = 0x1122334455667788
        r.rip = 0x401000
        r.eflags = 0x246
        r.gsBase = 0xdead
        let image = AMD64RegisterLayout.encodeAll(r)
        #expect(Array(image.prefix(8)) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(Array(image[128..<136]) == Hex.littleEndianBytes(0x401000, count: 8))
        #expect(Array(image[136..<140]) == [0x46, 0x02, 0, 0])
        #expect(Array(image.suffix(8)) == Hex.littleEndianBytes(0xdead, count: 8))
        var back = AMD64Registers()
        AMD64RegisterLayout.decodeAll(image, into: &back)
        #expect(back == r)
    }

    @Test func x87AndSSERegistersComeFromTheFXSAVEImage() {
        var r = AMD64Registers()
        r.fxsave[160] = 0xab  // xmm0 low byte
        r.fxsave[24] = 0x80  // mxcsr 0x1f80
        #expect(AMD64RegisterLayout.bytes(of: AMD64RegisterNumber.xmm0, in: r)?.first == 0xab)
        #expect(AMD64RegisterLayout.bytes(of: AMD64RegisterNumber.mxcsr, in: r) == [0x80, 0x1f, 0, 0])
        #expect(AMD64RegisterLayout.bytes(of: AMD64RegisterNumber.fctrl, in: r) == [0x7f, 0x03, 0, 0])
        // All x87 registers empty: every tag is 3.
        #expect(AMD64RegisterLayout.bytes(of: AMD64RegisterNumber.ftag, in: r) == [0xff, 0xff, 0, 0])
        #expect(AMD64RegisterLayout.set(AMD64RegisterNumber.ftag, to: [0xfc, 0xff, 0, 0], in: &r))
        #expect(r.fxsave[4] == 0x01)
        #expect(AMD64RegisterLayout.bytes(of: 60, in: r) == nil)
        #expect(!AMD64RegisterLayout.set(0, to: [1, 2], in: &r))
    }

    @Test func servedDescriptionDeclaresEveryRegisterOfTheLayout() {
        for n in 0..<AMD64RegisterNumber.count {
            guard let size = AMD64RegisterLayout.size(of: n) else {
                Issue.record("no size for register \(n)")
                continue
            }
            #expect(TargetXML.amd64Linux.contains("bitsize=\"\(size == 10 ? 80 : size * 8)\"") )
            #expect(TargetXML.amd64Linux.contains("regnum=\"\(n)\""))
        }
        #expect(TargetXML.amd64Linux.contains("<architecture>i386:x86-64</architecture>"))
        #expect(TargetXML.amd64Linux.contains("<osabi>GNU/Linux</osabi>"))
        #expect(!TargetXML.amd64Linux.contains("xi:include"))
    }
}
