import Testing
import VPlayBundle
@testable import VPlayReport

/// A raw 128-byte siginfo: signo, code, and the address (or a kill's sender pid) at byte 16.
func siginfo(signal: Int32, code: Int32, address: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 128)
    withUnsafeBytes(of: signal.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
    withUnsafeBytes(of: code.littleEndian) { bytes.replaceSubrange(8..<12, with: $0) }
    withUnsafeBytes(of: address.littleEndian) { bytes.replaceSubrange(16..<24, with: $0) }
    return bytes
}

/// A server's crash: requests, a SEGV_MAPERR at 0x40 in the program (pc 0x401010) caught by its
/// handler, the handler's write and kill(getpid(), SIGSEGV), and the fatal SI_USER delivery.
enum Reraise {
    static func log(secondWindowOwnClock: Bool) -> [LogEvent] {
        // The second window starts 2 s after the first; old bundles timed it from there.
        let second: UInt64 = secondWindowOwnClock ? 0 : 2_000_000_000
        var fault = Registers()
        fault.rip = 0x401010
        return [
            .syscallEntry(tid: 7, time: 1_000_000_000, number: 0, args: [3, 0x7000, 64], strings: []),
            .syscallExit(tid: 7, time: 1_000_100_000, number: 0, result: 9, writes: []),
            .syscallEntry(tid: 7, time: 1_900_000_000, number: 1, args: [4, 0x7000, 9], strings: []),
            .syscallExit(tid: 7, time: 1_900_100_000, number: 1, result: 9, writes: []),
            .syscallEntry(tid: 7, time: second + 300_000_000, number: 0, args: [3, 0x7000, 64], strings: []),
            .syscallExit(tid: 7, time: second + 300_100_000, number: 0, result: 9, writes: []),
            .signal(tid: 7, time: second + 400_000_000, signal: 11, siginfo: siginfo(signal: 11, code: 1, address: 0x40),
                    registers: fault, synchronous: true),
            .syscallEntry(tid: 7, time: second + 401_000_000, number: 1, args: [2, 0x7100, 20], strings: []),
            .syscallExit(tid: 7, time: second + 401_100_000, number: 1, result: 20, writes: []),
            .syscallEntry(tid: 7, time: second + 402_000_000, number: 62, args: [7, 11], strings: []),
            .syscallExit(tid: 7, time: second + 402_100_000, number: 62, result: 0, writes: []),
            .signal(tid: 7, time: second + 402_200_000, signal: 11, siginfo: siginfo(signal: 11, code: 0, address: 7),
                    registers: Registers(), synchronous: false),
            .processEnd(tid: 7, time: 2_403_000_000, status: 11),
        ]
    }

    static func bundle(oldClock: Bool) -> Bundle {
        var b = Fixture.bundle()
        b.log = log(secondWindowOwnClock: oldClock)
        b.manifest.crash.code = 0
        b.manifest.crash.faultAddress = nil
        b.manifest.window.seconds = 2
        b.manifest.log.timeBase = oldClock ? nil : LogSummary.windowStart
        return b
    }
}

@Suite("one clock for the log, and a fault the program's handler caught")
struct ClockAndCaughtFaultTests {
    @Test func callsOfBothWindowsAreOnOneClockAndTheLastAreTheHandlers() {
        let report = CrashReport(bundle: Reraise.bundle(oldClock: false), path: "b.vplay", fileSize: 1,
                                 options: ReportOptions(syscallLimit: 2))
        #expect(report.syscalls.lines.map(\.name) == ["write", "kill"])
        let all = CrashReport(bundle: Reraise.bundle(oldClock: false), path: "b.vplay", fileSize: 1,
                              options: ReportOptions(syscallLimit: nil)).syscalls.lines
        #expect(all.count == 5)
        #expect(all.allSatisfy { $0.secondsBeforeCrash > 0 })
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.secondsBeforeCrash > $1.secondsBeforeCrash })
        #expect(!report.warnings.contains { $0.contains("timeBase") })
    }

    @Test func anOlderBundlesSecondWindowIsMovedAfterTheFirst() {
        let report = CrashReport(bundle: Reraise.bundle(oldClock: true), path: "b.vplay", fileSize: 1,
                                 options: ReportOptions(syscallLimit: nil))
        let lines = report.syscalls.lines
        #expect(lines.map(\.name) == ["read", "write", "read", "write", "kill"], "log order is time order: \(lines.map(\.name))")
        #expect(lines.allSatisfy { $0.secondsBeforeCrash > 0 }, "\(lines.map(\.secondsBeforeCrash))")
        // window.seconds (2 s) is the estimate of the second window's start: exact here.
        #expect(abs((lines.first?.secondsBeforeCrash ?? 0) - 1.4022) < 1e-9)
        #expect(report.warnings.contains { $0.contains("log.timeBase") && $0.contains("estimated") })
        #expect(abs((report.caughtFault?.secondsBeforeCrash ?? 0) - 0.0022) < 1e-9)
    }

    @Test func aFaultCaughtBeforeAReraiseIsShownFirst() throws {
        let report = CrashReport(bundle: Reraise.bundle(oldClock: false), path: "b.vplay", fileSize: 1)
        let f = try #require(report.caughtFault)
        #expect(f.signal == 11 && f.code == 1 && f.codeMeaning.name == "SEGV_MAPERR" && f.faultAddress == 0x40 && f.tid == 7)
        #expect(f.pc.address == 0x401010 && f.pc.object == Fixture.program)
        #expect(f.faultMapping == nil)
        let text = ReportText.render(report)
        let first = try #require(text.range(of: "  first     SIGSEGV (SEGV_MAPERR: address not mapped) in thread 7, caught by the program's handler"))
        let end = try #require(text.range(of: "  end       SIGSEGV (SI_USER: sent by kill) in thread 7"))
        #expect(first.lowerBound < end.lowerBound)
        #expect(text.contains("  fault     address 0x40, not in any mapping"))
        #expect(text.contains("  fault pc  0x401010  \(Fixture.program)+0x"))
        let caught = try #require(text.range(of: "[7] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x40} --- caught by the program's handler"))
        let write = try #require(text.range(of: "write(2, "))
        #expect(caught.lowerBound < write.lowerBound, "the fault precedes the handler's write:\n\(text)")
        let json = try ReportJSON.value(report)
        #expect(json["crash"]?["caughtFault"]?["codeName"] == .string("SEGV_MAPERR"))
        #expect(json["crash"]?["caughtFault"]?["faultAddress"] == .uint(0x40))
        #expect(json["crash"]?["caughtFault"]?["pc"] == .uint(0x401010))
    }

    @Test func aKernelFaultAtTheEndHasNoCaughtFault() throws {
        #expect(CrashReport(bundle: Fixture.bundle(), path: "b.vplay", fileSize: 1).caughtFault == nil)
        var b = Reraise.bundle(oldClock: false)
        b.manifest.crash.code = 1  // the end itself is the kernel's fault
        let report = CrashReport(bundle: b, path: "b.vplay", fileSize: 1)
        #expect(report.caughtFault == nil)
        #expect(try ReportJSON.value(report)["crash"]?["caughtFault"] == .null)
    }
}
