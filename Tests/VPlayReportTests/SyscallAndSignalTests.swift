import Testing
import VPlayBundle
@testable import VPlayReport

@Suite("si_code meanings and the decoded syscalls")
struct SyscallAndSignalTests {
    @Test func siCodesAreNamedPerSignal() {
        #expect(SignalCodes.meaning(signal: 11, code: 1) == .init(name: "SEGV_MAPERR", text: "SEGV_MAPERR: address not mapped"))
        #expect(SignalCodes.meaning(signal: 11, code: 2).name == "SEGV_ACCERR")
        #expect(SignalCodes.meaning(signal: 7, code: 2).name == "BUS_ADRERR")
        #expect(SignalCodes.meaning(signal: 8, code: 1).text == "FPE_INTDIV: integer divide by zero")
        #expect(SignalCodes.meaning(signal: 6, code: -6).name == "SI_TKILL")
        #expect(SignalCodes.meaning(signal: 11, code: 128).text.hasPrefix("SI_KERNEL: general protection"))
        #expect(SignalCodes.meaning(signal: 10, code: 0).name == "SI_USER")
        #expect(SignalCodes.meaning(signal: 11, code: 77) == .init(name: nil, text: "code 77"))
    }

    @Test func callsAreDecodedStraceLikeAndTimedFromTheFatalSignal() {
        let log = Fixture.log
        let crashTime = RecentSyscalls.crashTime(log, crash: Fixture.bundle().manifest.crash)
        #expect(crashTime == 3_000_000)
        let section = RecentSyscalls.section(log, limit: nil, thread: nil, crashTime: crashTime)
        #expect(section.total == 4)
        #expect(section.lines.map(\.text) == [
            #"openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = 3"#,
            "clock_nanosleep(0x1, 0x0, 0x7100, NULL) = ?",
            #"read(3, "key=1\n", 4096) = 6"#,
            "mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f0000000000",
        ])
        #expect(section.lines.map(\.tid) == [7, 8, 7, 7])
        #expect(section.lines.first?.secondsBeforeCrash == 0.002)
        #expect(section.lines.map(\.name) == ["openat", "clock_nanosleep", "read", "mmap"])
    }

    @Test func theLimitKeepsTheLastCallsAndTheThreadFilterOneThread() {
        let last = RecentSyscalls.section(Fixture.log, limit: 2, thread: nil, crashTime: 3_000_000)
        #expect(last.lines.map(\.name) == ["read", "mmap"])
        #expect(last.total == 4)
        #expect(RecentSyscalls.section(Fixture.log, limit: 0, thread: nil, crashTime: 0).lines.isEmpty)
        let sleeper = RecentSyscalls.section(Fixture.log, limit: nil, thread: 8, crashTime: 3_000_000)
        #expect(sleeper.lines.map(\.name) == ["clock_nanosleep"] && sleeper.total == 1)
        #expect(RecentSyscalls.section(Fixture.log, limit: nil, thread: 99, crashTime: 0).lines.isEmpty)
    }

    @Test func anExitIsTimedFromTheLastEvent() {
        var crash = Fixture.bundle(signal: nil).manifest.crash
        crash.signal = nil
        #expect(RecentSyscalls.crashTime(Fixture.log, crash: crash) == 9_000_000)
        #expect(RecentSyscalls.crashTime([], crash: crash) == 0)
    }
}
