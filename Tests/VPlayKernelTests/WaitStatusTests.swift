import CVPlay
import Glibc
import Testing
import VPlayTestSupport
import VPlayKernel

@Suite struct WaitStatusDecoding {
    @Test(arguments: [(0x0000, 0), (0x0300, 3), (0x7f00, 127), (0xff00, 255)])
    func normalExitGivesTheExitCode(raw: Int32, code: Int32) {
        let status = WaitStatus(raw: raw)
        #expect(status == .exited(code: code))
        #expect(status.isTerminal)
    }

    @Test func deathBySignalGivesTheSignalAndCoreFlag() {
        #expect(WaitStatus(raw: SIGKILL) == .signaled(signal: SIGKILL, core: false))
        #expect(WaitStatus(raw: SIGSEGV | 0x80) == .signaled(signal: SIGSEGV, core: true))
        #expect(WaitStatus(raw: SIGABRT | 0x80).isTerminal)
    }

    @Test func sigtrapWithBit7IsASyscallStop() {
        let raw: Int32 = 0x7f | ((SIGTRAP | 0x80) << 8)
        #expect(WaitStatus(raw: raw) == .syscallStop)
        #expect(!WaitStatus(raw: raw).isTerminal)
    }

    @Test(arguments: [PtraceEvent.fork, .vfork, .clone, .exec, .vforkDone, .exit, .seccomp])
    func ptraceEventStopsCarryTheEventAndSigtrap(event: PtraceEvent) {
        let raw: Int32 = 0x7f | (SIGTRAP << 8) | (event.rawValue << 16)
        #expect(WaitStatus(raw: raw) == .event(event, signal: SIGTRAP))
        #expect(!WaitStatus(raw: raw).isTerminal)
    }

    @Test func seizedGroupStopIsAnEventStopWithTheStopSignal() {
        // PTRACE_EVENT_STOP (128): group-stop or PTRACE_INTERRUPT of a seized task.
        #expect(WaitStatus(raw: 0x7f | (SIGSTOP << 8) | (128 << 16)) == .event(.stop, signal: SIGSTOP))
        #expect(WaitStatus(raw: 0x7f | (SIGTRAP << 8) | (128 << 16)) == .event(.stop, signal: SIGTRAP))
    }

    @Test(arguments: [SIGSTOP, SIGSEGV, SIGUSR1, SIGTRAP, SIGCHLD, 34 /* SIGRTMIN */])
    func plainStopIsASignalDeliveryStop(signal: Int32) {
        #expect(WaitStatus(raw: 0x7f | (signal << 8)) == .signalStop(signal: signal))
    }

    @Test func restartErrnosAreRecognised() {
        for v: Int64 in [-512, -513, -514, -516] { #expect(RestartErrno.isRestart(v)) }
        for v: Int64 in [0, -4, -515, -11, 512] { #expect(!RestartErrno.isRestart(v)) }
    }
}

extension TracedProcessTests {
    @Suite struct WaitStatusOfRealProcesses {
        @Test func exitCodeOfARealChild() throws {
            let (pid, gate) = try spawnGated(["/bin/sh", "-c", "exit 3"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            release(gate)
            #expect(try child.wait() == .exited(code: 3))
        }

        @Test func killedChildIsSignaled() throws {
            let (pid, gate) = try spawnGated(["/bin/true"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            kill(pid, SIGKILL)
            #expect(try child.wait() == .signaled(signal: SIGKILL, core: false))
        }

        @Test func tracemeChildStopsWithSigstopAndExitsWhenResumed() throws {
            let child = try spawnTracemeStopped()  // already saw .signalStop(SIGSTOP)
            defer { child.end() }
            try Tracee(child.pid).resume()  // suppress the SIGSTOP; raise returns, the shell _exit(127)s
            #expect(try child.wait() == .exited(code: 127))
        }

        @Test func seizedExecReportsAnExecEventStop() throws {
            let (pid, gate) = try spawnGated(["/bin/true"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            try Tracee.seize(pid, options: [.traceSysGood, .traceExec, .exitKill])
            release(gate)
            #expect(try child.wait() == .event(.exec, signal: SIGTRAP))
            // The event message is the former thread id, which for a single thread is the pid.
            #expect(try Tracee(pid).eventMessage() == UInt(pid))
            try Tracee(pid).resumeSyscall()
            #expect(try child.wait() == .syscallStop)  // execve's exit stop
            #expect(try Tracee(pid).syscallStopKind() == .exit)
            #expect(try Tracee(pid).registers().origRax == 59)
        }

        @Test func ptraceInterruptOfASeizedTaskIsAnEventStop() throws {
            let (pid, gate) = try spawnGated(["/bin/true"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            try Tracee.seize(pid, options: [.traceSysGood, .exitKill])
            try Tracee(pid).interrupt()
            #expect(try child.wait() == .event(.stop, signal: SIGTRAP))
        }
    }
}
