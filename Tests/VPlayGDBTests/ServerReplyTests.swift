// Exact replies of the server to key packets, against FakeTarget.

import Foundation
import Glibc
import Testing
import VPlayTestSupport
@testable import VPlayGDB

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServerReplyTests {
    @Test func qSupportedAdvertisesFeaturesAndReverseOnlyWhenTheTargetHasIt() throws {
        let plain = try ScriptedSession.run(FakeTarget(), ["qSupported:multiprocess+;swbreak+;hwbreak+"])
        #expect(plain.texts == ["PacketSize=4000;qXfer:features:read+;qXfer:exec-file:read+;qXfer:libraries-svr4:read+;"
                + "qXfer:auxv:read+;vContSupported+;QStartNoAckMode+;swbreak+;hwbreak+"])
        let target = FakeTarget()
        target.capabilities = [.reverseContinue, .reverseStep]
        let reverse = try ScriptedSession.run(target, ["qSupported"])
        #expect(reverse.texts[0].hasSuffix(";hwbreak+;ReverseContinue+;ReverseStep+"))
        #expect(!reverse.texts[0].contains("multiprocess"))
    }

    @Test func stopReplyNamesSignalThreadReasonAndExpeditedRegisters() throws {
        let target = FakeTarget()
        let r = try ScriptedSession.run(target, ["qSupported:swbreak+", "?", "c"])
        #expect(r.texts[1] == "T05" + "06:1000fe7f00000000;07:0000fe7f00000000;10:0010400000000000;thread:1234;")
        #expect(r.texts[2] == "T05" + "06:1000fe7f00000000;07:0000fe7f00000000;10:0010400000000000;thread:1234;swbreak:;")
    }

    @Test func stopReasonsEncodeAsGDBExpects() {
        let watch = GDBStopEvent(thread: 0x10, reason: .watchpoint(.write, address: 0x601040))
        #expect(StopReply.encode(watch) == "T05thread:10;watch:601040;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .watchpoint(.read, address: 0x8))) == "T05thread:10;rwatch:8;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .watchpoint(.access, address: 0x8))) == "T05thread:10;awatch:8;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .hardwareBreakpoint)) == "T05thread:10;hwbreak:;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .signal(SIGSEGV))) == "T0bthread:10;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .signal(SIGUSR1))) == "T1ethread:10;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .interrupted)) == "T02thread:10;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .historyBegin)) == "T05thread:10;replaylog:begin;")
        #expect(StopReply.encode(GDBStopEvent(thread: 0x10, reason: .historyEnd)) == "T05thread:10;replaylog:end;")
        #expect(StopReply.encode(GDBStopEvent(thread: nil, reason: .exited(code: 3))) == "W03")
        #expect(StopReply.encode(GDBStopEvent(thread: nil, reason: .terminated(signal: SIGSEGV))) == "X0b")
    }

    @Test func threadPacketsListSelectAndCheckThreads() throws {
        let r = try ScriptedSession.run(FakeTarget(), ["qfThreadInfo", "qsThreadInfo", "qC", "Hg1235", "Hc-1", "Hg0",
                                                       "Hg99", "T1235", "T99", "qAttached"])
        #expect(r.texts == ["m1234,1235", "l", "QC1234", "OK", "OK", "OK", "E16", "OK", "E10", "1"])
    }

    @Test func registersReadAndWriteWholeAndSingly() throws {
        let target = FakeTarget()
        let r = try ScriptedSession.run(target, ["g", "p10", "P10=efbeadde00000000", "p10", "Hg1235", "p0", "p3c", "P3c=00"])
        #expect(r.texts[0].count == AMD64RegisterLayout.totalSize * 2)
        #expect(r.texts[1] == "0010400000000000")
        #expect(r.texts[2] == "OK")
        #expect(r.texts[3] == "efbeadde00000000")
        #expect(r.texts[5] == "0000000000000000")
        #expect(r.texts[6] == "E16")
        #expect(r.texts[7] == "E16")
        #expect(target.registers[FakeTarget.main]?.rip == 0xdeadbeef)
    }

    @Test func registerImageWritesBack() throws {
        let target = FakeTarget()
        var regs = AMD64Registers()
        regs.rbx = 0x42
        let image = Hex.encode(AMD64RegisterLayout.encodeAll(regs))
        let r = try ScriptedSession.run(target, ["G" + image, "G123"])
        #expect(r.texts == ["OK", "E16"])
        #expect(target.registers[FakeTarget.main]?.rbx == 0x42)
    }

    @Test func memoryReadsFailForUnknownMemoryAndMayBeShort() throws {
        let r = try ScriptedSession.run(FakeTarget(), ["m1000,4", "m10fe,4", "m0,4", "m2000,1", "mzz,1"])
        #expect(r.texts == ["00010203", "feff", "E0e", "E0e", "E16"])
    }

    @Test func memoryWritesInHexAndBinary() throws {
        let target = FakeTarget()
        let binary = PacketCodec.frame(Array("X1004,4:".utf8) + PacketCodec.escapeBinary([0x23, 0x7d, 0x2a, 0x24]))
        let input = PacketCodec.frame(Array("M1000,2:abcd".utf8)) + binary + PacketCodec.frame(Array("X1000,0:".utf8))
            + PacketCodec.frame(Array("M0,1:00".utf8)) + PacketCodec.frame(Array("X1000,2:a".utf8))
        let r = try ScriptedSession.run(target, [], raw: input)
        #expect(r.texts == ["OK", "OK", "OK", "E0e", "E16"])
        #expect(Array(target.memory[0..<8]) == [0xab, 0xcd, 0x02, 0x03, 0x23, 0x7d, 0x2a, 0x24])
    }

    @Test func breakpointsAndWatchpointsReachTheTarget() throws {
        let target = FakeTarget()
        let r = try ScriptedSession.run(target, ["Z0,401000,1", "Z1,401010,1", "Z2,601040,4", "Z3,601040,4", "Z4,601048,8",
                                                 "z0,401000,1", "Z9,0,1", "Z0,xyz,1", "Z0,401000,1;X2,0a"])
        #expect(r.texts == ["OK", "OK", "OK", "", "OK", "OK", "E16", "E16", "OK"])
        #expect(target.breakpoints == [
            GDBBreakpoint(kind: .software, address: 0x401000, length: 1),
            GDBBreakpoint(kind: .hardware, address: 0x401010, length: 1),
            GDBBreakpoint(kind: .writeWatchpoint, address: 0x601040, length: 4),
            GDBBreakpoint(kind: .accessWatchpoint, address: 0x601048, length: 8),
        ])
    }

    @Test func vContNamesPerThreadActionsAndSignals() throws {
        let target = FakeTarget()
        let r = try ScriptedSession.run(target, ["vCont?", "vCont;s:1234;c", "vCont;C1e:1235", "C0b", "s", "vCont;x"])
        #expect(r.texts[0] == "vCont;c;C;s;S")
        #expect(r.texts[5] == "E16")
        #expect(target.resumes == [
            GDBResumeRequest(actions: [FakeTarget.main: .step(signal: 0)], others: .continue(signal: 0)),
            GDBResumeRequest(actions: [FakeTarget.second: .continue(signal: SIGUSR1)], others: nil),
            GDBResumeRequest(actions: [FakeTarget.main: .continue(signal: SIGSEGV)], others: .continue(signal: 0)),
            GDBResumeRequest(actions: [FakeTarget.main: .step(signal: 0)], others: nil),
        ])
    }

    @Test func reverseExecutionOnlyWhenSupportedAndHistoryEndsReported() throws {
        let plain = FakeTarget()
        #expect(try ScriptedSession.run(plain, ["bc", "bs"]).texts == ["", ""])
        #expect(plain.resumes.isEmpty)
        let target = FakeTarget()
        target.capabilities = [.reverseContinue, .reverseStep]
        target.scriptedStops = [GDBStopEvent(thread: FakeTarget.main, reason: .historyBegin)]
        let r = try ScriptedSession.run(target, ["bc", "bs"])
        #expect(r.texts.count == 2)
        #expect(r.texts.allSatisfy { $0.hasPrefix("T05") && $0.hasSuffix("thread:1234;replaylog:begin;") })
        #expect(target.resumes.map(\.direction) == [.reverse, .reverse])
        #expect(target.resumes.last?.actions == [FakeTarget.main: .step(signal: 0)])
        #expect(target.resumes.first?.others == .continue(signal: 0))
    }

    @Test func processEndIsReportedAndFurtherResumesFail() throws {
        let target = FakeTarget()
        target.scriptedStops = [GDBStopEvent(thread: nil, reason: .exited(code: 0))]
        let r = try ScriptedSession.run(target, ["c", "c"])
        #expect(r.texts == ["W00", "E01"])
    }

    @Test func qXferServesTargetXMLInChunks() throws {
        let xml = Array(TargetXML.amd64Linux.utf8)
        let r = try ScriptedSession.run(FakeTarget(), ["qXfer:features:read:target.xml:0,10", "qXfer:features:read:target.xml:10,100000",
                                                       "qXfer:features:read:target.xml:ffffff,10", "qXfer:features:read:other.xml:0,10"])
        #expect(r.replies[0] == Array("m".utf8) + xml.prefix(16))
        #expect(r.replies[1] == Array("l".utf8) + xml.dropFirst(16))
        #expect(r.texts[2] == "l")
        #expect(r.texts[3] == "E00")
    }

    @Test func qXferServesExecFileLibrariesAndAuxv() throws {
        let r = try ScriptedSession.run(FakeTarget(), ["qXfer:exec-file:read::0,1000", "qXfer:libraries-svr4:read::0,1000",
                                                       "qXfer:auxv:read::0,1000", "qXfer:threads:read::0,1000",
                                                       "qXfer:features:write:target.xml:0:x"])
        #expect(r.texts[0] == "l/bin/app")
        #expect(r.texts[1] == "l<library-list-svr4 version=\"1.0\" main-lm=\"0x7000\"><library name=\"/lib/libc &amp; co.so\""
                + " lm=\"0x7100\" l_addr=\"0x7f0000\" l_ld=\"0x7f1000\" lmid=\"0x0\"/></library-list-svr4>")
        #expect(r.replies[2] == [UInt8(ascii: "l"), 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0])
        #expect(r.texts[3] == "")
        #expect(r.texts[4] == "")
    }

    @Test func vFileOpensReadsStatsAndClosesProviderFiles() throws {
        let content: [UInt8] = Array("ELF#$}*data".utf8)
        let target = FakeTarget(files: ["/bin/app": content])
        let r = try ScriptedSession.run(target, [
            "vFile:setfs:0",
            "vFile:open:" + Hex.encode("/bin/app") + ",0,0",
            "vFile:pread:3,100,0",
            "vFile:pread:3,4,3",
            "vFile:pread:3,10,100",
            "vFile:fstat:3",
            "vFile:close:3",
            "vFile:close:3",
            "vFile:open:" + Hex.encode("/missing") + ",0,0",
            "vFile:open:" + Hex.encode("/bin/app") + ",1,0",
            "vFile:readlink:" + Hex.encode("/proc/self/exe"),
            "vFile:pwrite:4,0,x",
            "vFile:frobnicate:1",
        ])
        #expect(r.texts[0] == "F0")
        #expect(r.texts[1] == "F3")
        #expect(r.replies[2] == Array("Fb;".utf8) + PacketCodec.escapeBinary(content))
        #expect(r.replies[3] == Array("F4;".utf8) + PacketCodec.escapeBinary(content[3..<7]))
        #expect(r.texts[4] == "F0;")
        #expect(r.replies[5].prefix(4) == Array("F40;".utf8)[...])
        #expect(PacketCodec.unescapeBinary(r.replies[5].dropFirst(4))?.count == 64)
        #expect(r.texts[6] == "F0")
        #expect(r.texts[7] == "F-1,9")
        #expect(r.texts[8] == "F-1,2")
        #expect(r.texts[9] == "F-1,1e")
        #expect(r.texts[10] == "F8;/bin/app")
        #expect(r.texts[11] == "F-1,9")
        #expect(r.texts[12] == "")
    }

    @Test func unknownAndEmptyReplyPacketsGetTheEmptyReply() throws {
        let r = try ScriptedSession.run(FakeTarget(), ["vMustReplyEmpty", "qTStatus", "!", "qOffsets", "QNonStop:1", "jFoo"])
        #expect(r.texts == ["", "", "", "", "", ""])
    }

    @Test func noAckModeStopsAcknowledgements() throws {
        let input = PacketCodec.frame(Array("QStartNoAckMode".utf8)) + [UInt8(ascii: "+")]
            + PacketCodec.frame(Array("qC".utf8)) + PacketCodec.frame(Array("qC".utf8))
        let r = try ScriptedSession.run(FakeTarget(), [], raw: input)
        #expect(r.texts == ["OK", "QC1234", "QC1234"])
        #expect(r.acks == 1)
    }

    @Test func corruptPacketsAreNackedAndTheSessionGoesOn() throws {
        let input = Array("$qC#00".utf8) + PacketCodec.frame(Array("qC".utf8))
        let r = try ScriptedSession.run(FakeTarget(), rawInput: input)
        #expect(r.texts == ["QC1234"])
        #expect(r.nacks == 1)
        #expect(r.acks == 1)
    }

    @Test func killAndDetachEndTheSession() throws {
        let killed = FakeTarget()
        let k = try ScriptedSession.run(killed, ["k", "qC"])
        #expect(k.end == .killed)
        #expect(k.replies.isEmpty)
        #expect(killed.killed)
        let detached = FakeTarget()
        let d = try ScriptedSession.run(detached, ["D", "qC"])
        #expect(d.end == .detached)
        #expect(d.texts == ["OK"])
        #expect(detached.detached)
    }

    @Test func randomPacketsNeverCrashTheServer() throws {
        var rng = XorShift(seed: 99)
        let heads = ["m", "M", "X", "g", "G", "p", "P", "Z", "z", "H", "T", "q", "Q", "v", "vCont;", "vFile:pread:",
                     "vFile:open:", "qXfer:features:read:", "c", "C", "s", "S", "b", "?", "k0"]
        var input: [UInt8] = []
        for _ in 0..<300 {
            let head = heads.randomElement(using: &rng) ?? "m"
            let tail = (0..<Int.random(in: 0..<30, using: &rng)).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }
            input += PacketCodec.frame(PacketCodec.escapeBinary(Array(head.utf8) + tail))
        }
        let target = FakeTarget()
        target.scriptedStops = [GDBStopEvent(thread: FakeTarget.main, reason: .signal(SIGTRAP))]
        let r = try ScriptedSession.run(target, rawInput: input)
        #expect(r.replies.count <= 300)
    }

    /// ^C while the target runs: the watcher thread calls the target's interrupt handler and
    /// the stop comes back as SIGINT.
    @Test func interruptByteStopsARunningTarget() throws {
        var sv: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv) == 0 else { throw TestFailure("socketpair: errno \(errno)") }
        let client = sv[1]
        defer { close(client) }
        let target = FakeTarget()
        target.blocksUntilInterrupted = true
        Thread.detachNewThread {
            let c = PacketCodec.frame(Array("c".utf8))
            _ = c.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            usleep(200_000)
            var interrupt: UInt8 = 0x03
            _ = write(client, &interrupt, 1)
            usleep(200_000)
            shutdown(client, Int32(SHUT_WR))
        }
        let start = monotonicSeconds()
        let end = try GDBServer(target: target).serve(GDBConnection(readFD: sv[0], writeFD: sv[0]))
        #expect(end == .disconnected)
        #expect(monotonicSeconds() - start < 5)
        var out = [UInt8](repeating: 0, count: 4096)
        let n = out.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
        var parser = PacketParser()
        let replies = parser.feed(out.prefix(max(0, n))).compactMap { e -> String? in
            if case let .packet(p) = e { return String(decoding: p, as: UTF8.self) } else { return nil }
        }
        #expect(replies.count == 1)
        #expect(replies.first?.hasPrefix("T02") == true)
    }
}
