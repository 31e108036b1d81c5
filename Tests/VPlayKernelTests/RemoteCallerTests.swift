import CVPlay
import Glibc
import Testing
import VPlayTestSupport
import VPlayBundle
import VPlayKernel

extension TracedProcessTests {
    @Suite struct RemoteCallerInjection {
        @Test func tracemeShellStopsRightAfterASyscallInstruction() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let regs = try Tracee(child.pid).registers()
            let memory = try ProcessMemory(pid: child.pid)
            #expect(try memory.read(regs.rip - 2, count: 2) == [0x0F, 0x05])
        }

        @Test func injectedGetpidReturnsTheChildPid() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let regs = try tracee.registers()
            let caller = try RemoteCaller(tracee, syscallInstruction: regs.rip - 2, atEntryStop: false)
            #expect(caller.original == regs)
            #expect(try caller.call(39) == Int64(child.pid))
            #expect(try caller.call(110) == Int64(getpid()))  // getppid: this process
            #expect(try caller.call(39) == Int64(child.pid))  // repeated calls work
            try caller.finish(reissue: false)
            #expect(caller.newChildren.isEmpty)
        }

        @Test func injectedAnonymousMmapIsUsableThroughProcessMemory() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let regs = try tracee.registers()
            let caller = try RemoteCaller(tracee, syscallInstruction: regs.rip - 2, atEntryStop: false)
            let r = try caller.call(SyscallNumber.mmap, [0, pageSize, UInt64(PROT_READ | PROT_WRITE),
                                                 UInt64(MAP_PRIVATE | MAP_ANONYMOUS), UInt64(bitPattern: -1), 0])
            #expect(r > 0 && r & 0xfff == 0, "mmap returned \(r)")
            let address = UInt64(bitPattern: r)
            // (The kernel may merge it with a neighbouring anonymous mapping.)
            let mapping = try #require(try completeMaps(child.pid).first { $0.start <= address && address < $0.end })
            #expect(mapping.end >= address + pageSize)
            #expect(mapping.permissions == "rw-p")
            #expect(mapping.path.isEmpty)

            let memory = try ProcessMemory(pid: child.pid)
            #expect(try memory.read(address, count: 16) == [UInt8](repeating: 0, count: 16))
            let data = (0..<64).map { UInt8($0 * 3) }
            try memory.write(address + 32, data)
            #expect(try memory.read(address + 32, count: 64) == data)

            #expect(try caller.call(SyscallNumber.munmap, [address, pageSize]) == 0)
            #expect(try completeMaps(child.pid).first { $0.start <= address && address < $0.end } == nil)
            // Errors come back as negative errno values.
            #expect(try caller.call(SyscallNumber.munmap, [address + 1, pageSize]) == -Int64(EINVAL))
            try caller.finish(reissue: false)
        }

        @Test func finishRestoresTheOriginalRegistersAndTheChildRunsOn() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let before = try tracee.registers()
            let caller = try RemoteCaller(tracee, syscallInstruction: before.rip - 2, atEntryStop: false)
            _ = try caller.call(39)
            _ = try caller.call(SyscallNumber.mmap, [0, pageSize, 3, 0x22, UInt64(bitPattern: -1), 0])
            #expect(try tracee.registers() != before)
            try caller.finish(reissue: false)
            let after = try tracee.registers()
            #expect(after == before, "differs: \(after.differences(from: before))")
            // raise() returns and the shell _exit(127)s, as if nothing had happened.
            try tracee.resume()
            #expect(try child.wait() == .exited(code: 127))
        }

        @Test func callAtASyscallEntryReplacesThePendingCallWhichRunsAgainAfterFinish() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let syscallInstruction = try tracee.registers().rip - 2
            // From the SIGSTOP stop to the next syscall entry (raise restores the signal mask).
            try tracee.resumeSyscall()
            #expect(try child.wait() == .syscallStop)
            #expect(try tracee.syscallStopKind() == .entry)
            let pending = try tracee.registers()
            let caller = try RemoteCaller(tracee, syscallInstruction: syscallInstruction, atEntryStop: true)
            #expect(try caller.call(39) == Int64(child.pid))   // in place of the pending call
            #expect(try caller.call(39) == Int64(child.pid))   // through the syscall instruction
            try caller.finish(reissue: true)
            let rewound = try tracee.registers()
            #expect(rewound.rip == pending.rip - 2)
            #expect(rewound.rax == pending.origRax)
            // The pending call is entered again, with its own arguments.
            try tracee.resumeSyscall()
            #expect(try child.wait() == .syscallStop)
            #expect(try tracee.syscallStopKind() == .entry)
            let again = try tracee.registers()
            #expect(again.origRax == pending.origRax)
            #expect(again.rip == pending.rip)
            #expect(again.syscallArgs == pending.syscallArgs)
            try tracee.resume()
            #expect(try child.wait() == .exited(code: 127))
        }

        @Test func finishWithoutInjectingAtAnEntryStopLetsThePendingCallRunOnce() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            try tracee.resumeSyscall()
            #expect(try child.wait() == .syscallStop)
            let pending = try tracee.registers()
            let caller = try RemoteCaller(tracee, syscallInstruction: pending.rip - 2, atEntryStop: true)
            try caller.finish(reissue: true)
            try tracee.resumeSyscall()
            #expect(try child.wait() == .syscallStop)
            #expect(try tracee.syscallStopKind() == .entry)
            #expect(try tracee.registers().origRax == pending.origRax)
            try tracee.resume()
            #expect(try child.wait() == .exited(code: 127))
        }

        /// A seized task blocked in read(2) and stopped by PTRACE_INTERRUPT shows -ERESTARTSYS;
        /// after injection, finish must set it up to re-enter the read, as the kernel would.
        @Test func finishRestartsAnInterruptedBlockingCall() throws {
            let (pid, gate) = try spawnGated(["/bin/true"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            try Tracee.seize(pid, options: [.traceSysGood, .exitKill])
            let tracee = Tracee(pid)
            // Wait until the child is blocked in its gate read.
            let deadline = monotonicSeconds() + 10
            while (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8))?.hasPrefix("0 ") != true {
                try #require(monotonicSeconds() < deadline, "child never blocked in read")
                usleep(1000)
            }
            try tracee.interrupt()
            #expect(try child.wait() == .event(.stop, signal: SIGTRAP))
            let stopped = try tracee.registers()
            #expect(stopped.result == RestartErrno.restartSys)
            #expect(stopped.origRax == 0)

            let caller = try RemoteCaller(tracee, syscallInstruction: stopped.rip - 2, atEntryStop: false)
            #expect(try caller.call(39) == Int64(pid))
            try caller.finish(reissue: false)
            #expect(try tracee.registers() == RestartErrno.restarted(stopped))

            try tracee.resumeSyscall()
            #expect(try child.wait() == .syscallStop)
            #expect(try tracee.syscallStopKind() == .entry)
            let reentered = try tracee.registers()
            #expect(reentered.origRax == 0, "expected read to be re-entered, got syscall \(reentered.origRax)")
            #expect(reentered.rip == stopped.rip)
            #expect(reentered.rdi == stopped.rdi)
        }

        /// A signal that arrives while a call is injected must not be lost: the program has to
        /// see it once the tracer lets it run again.
        @Test func signalQueuedDuringInjectionIsStillDeliveredAfterwards() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let regs = try tracee.registers()
            #expect(kill(child.pid, SIGUSR1) == 0)
            let caller = try RemoteCaller(tracee, syscallInstruction: regs.rip - 2, atEntryStop: false)
            #expect(try caller.call(39) == Int64(child.pid))
            try caller.finish(reissue: false)
            try tracee.resume()
            #expect(try child.wait() == .signalStop(signal: SIGUSR1))
            // Delivered once: suppressing it lets raise() return and the shell exit.
            try tracee.resume()
            #expect(try child.wait() == .exited(code: 127))
        }

        /// The recorder logs each signal's siginfo and replay re-creates it, so a signal held
        /// back during an injection must keep its siginfo (here: sigqueue's code and value).
        @Test func signalQueuedDuringInjectionKeepsItsSiginfo() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let regs = try tracee.registers()
            var value = sigval()
            value.sival_int = 4242
            #expect(sigqueue(child.pid, SIGUSR1, value) == 0)
            let caller = try RemoteCaller(tracee, syscallInstruction: regs.rip - 2, atEntryStop: false)
            #expect(try caller.call(39) == Int64(child.pid))
            try caller.finish(reissue: false)
            try tracee.resume()
            #expect(try child.wait() == .signalStop(signal: SIGUSR1))
            let info = try tracee.siginfo()
            let int32 = { (o: Int) in info[o..<o + 4].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } }
            #expect(int32(0) == SIGUSR1)
            do {
                #expect(int32(8) == -1)     // si_code SI_QUEUE
                #expect(int32(24) == 4242)  // si_value
            }
        }
    }

    /// An injected call whose syscall instruction address is bad faults (SIGSEGV) in the tracee.
    /// RemoteCaller must report that, not resume the fault forever. Runs in its own process
    /// with an alarm, so a hang ends as exit code 14 instead of stalling the suite.
    @Suite struct RemoteCallerFaults {
        nonisolated(unsafe) static var alarmVictim: Int32 = 0

        @Test func faultAtTheSyscallInstructionIsAnErrorNotAHang() async {
            await #expect(processExitsWith: .success) {
                guard let child = try? spawnTracemeStopped() else { exit(2) }
                // On a hang, end the child by pid, reap it, and exit 14.
                RemoteCallerFaults.alarmVictim = child.pid
                signal(SIGALRM) { _ in
                    kill(RemoteCallerFaults.alarmVictim, SIGKILL)
                    var status: Int32 = 0
                    waitpid(RemoteCallerFaults.alarmVictim, &status, 0x4000_0000)  // __WALL
                    _exit(14)
                }
                alarm(5)
                var code: Int32 = 3
                if let caller = try? RemoteCaller(Tracee(child.pid), syscallInstruction: 0x1000, atEntryStop: false) {
                    do {
                        _ = try caller.call(39)
                        code = 4
                    } catch {
                        code = error is TraceError ? 0 : 5
                    }
                }
                alarm(0)
                child.end()  // exit() does not unwind, so no defer
                exit(code)
            }
        }
    }

    @Suite struct TraceeState {
        @Test func siginfoOfTheSigstopStopNamesSigstop() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let info = try Tracee(child.pid).siginfo()
            #expect(info.count == 128)
            let word = { (o: Int) in info[o..<o + 4].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } }
            #expect(word(0) == SIGSTOP)  // si_signo
            #expect(word(8) == -6)       // si_code SI_TKILL: raise() uses tgkill
        }

        @Test func siginfoCanBeReplaced() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            var info = try tracee.siginfo()
            info[0] = UInt8(SIGUSR2)
            try tracee.setSiginfo(info)
            #expect(try tracee.siginfo()[0] == UInt8(SIGUSR2))
        }

        @Test func xstateHoldsTheLegacyAreaAndHeaderAndRoundTrips() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let xstate = try tracee.xstate()
            #expect(xstate.count >= 576)  // 512-byte FXSAVE area + 64-byte XSAVE header
            // MXCSR (offset 24): default control bits 0x1f80; the low six are sticky exception flags.
            let mxcsr = xstate[24..<28].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            #expect(mxcsr & 0xffc0 == 0x1f80)
            var changed = xstate
            changed[24..<28] = [0x80, 0x9f, 0, 0]  // MXCSR with flush-to-zero
            try tracee.setXstate(changed)
            #expect(try tracee.xstate()[24..<28] == [0x80, 0x9f, 0, 0])
            try tracee.setXstate(xstate)
            #expect(try tracee.xstate() == xstate)
        }

        @Test func registersRoundTrip() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let original = try tracee.registers()
            var changed = original
            changed.r12 = 0x1234_5678_9abc_def0
            changed.rbx = 42
            try tracee.setRegisters(changed)
            #expect(try tracee.registers() == changed)
            try tracee.setRegisters(original)
            #expect(try tracee.registers() == original)
        }

        @Test func debugRegistersRoundTrip() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let rip = try tracee.registers().rip
            try tracee.setDebugRegister(0, rip)
            #expect(try tracee.debugRegister(0) == rip)
            try tracee.setDebugRegister(7, 1)  // L0, execute, length 1
            #expect(try tracee.debugRegister(7) & 0xff == 1)
            try tracee.setDebugRegister(7, 0)
            #expect(try tracee.debugRegister(7) & 0xff == 0)
            // A kernel address is refused.
            #expect(throws: KernelError.self) { try tracee.setDebugRegister(1, 0xffff_8000_0000_0000) }
        }

        @Test func hardwareBreakpointStopsExactlyAtItsAddress() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let tracee = Tracee(child.pid)
            let original = try tracee.registers()
            // Send the thread to the syscall instruction before its stop (running getpid there)
            // with an execute breakpoint on exactly that address.
            let target = original.rip - 2
            var jump = original
            jump.rip = target
            jump.setSyscall(39, [])
            jump.origRax = UInt64(bitPattern: -1)
            try tracee.setRegisters(jump)
            try tracee.setDebugRegister(0, target)
            try tracee.setDebugRegister(7, 1)
            try tracee.resume()
            #expect(try child.wait() == .signalStop(signal: SIGTRAP))
            #expect(try tracee.registers().rip == target)
            let info = try tracee.siginfo()
            #expect(info[8..<12].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } == 4)  // TRAP_HWBKPT
            #expect(try tracee.debugRegister(6) & 1 == 1)  // B0: breakpoint 0 fired
            try tracee.setDebugRegister(7, 0)
            try tracee.setRegisters(original)
            try tracee.resume()
            #expect(try child.wait() == .exited(code: 127))
        }

        @Test func requestsOnAnUntracedProcessFailWithKernelError() {
            #expect(throws: KernelError.self) { try Tracee(getppid()).registers() }
            #expect(throws: KernelError.self) { try Tracee(Int32.max).resume() }
            let error = KernelError("PTRACE_CONT", pid: 7, errno: ESRCH, hint: "try again")
            #expect(error.description == "PTRACE_CONT failed for pid 7: No such process (errno 3); try again")
        }
    }
}
