import Testing
@testable import VPlaySyscalls

@Suite("replay policy by recorded result")
struct ReplayPolicyTests {
    let enosys: Int64 = -38

    @Test("numbers outside the ABI (syscall(-1), 1000) are emulated as the ENOSYS they returned")
    func unknownNumbersAreENOSYS() {
        #expect(SyscallTable.replayPolicy(-1, recordedResult: enosys) == .emulate)
        #expect(SyscallTable.replayPolicy(1000, recordedResult: enosys) == .emulate)
        #expect(SyscallTable.replayPolicy(1000, recordedResult: nil) == .unsupported("not an x86_64 system call"))
    }

    @Test("a failed execve is an ordinary call; a successful one is an exec")
    func failedExec() throws {
        let execve = try #require(SyscallTable.number("execve"))
        let execveat = try #require(SyscallTable.number("execveat"))
        #expect(SyscallTable.replayPolicy(execve, recordedResult: -2) == .emulate)    // ENOENT
        #expect(SyscallTable.replayPolicy(execveat, recordedResult: -22) == .emulate) // EINVAL
        #expect(SyscallTable.replayPolicy(execve, recordedResult: 0) == .exec)
        #expect(SyscallTable.replayPolicy(execve, recordedResult: nil) == .exec)
    }

    @Test("an unsupported call that failed wrote nothing: emulated, and no region is reported")
    func failedUnsupported() throws {
        let ptrace = try #require(SyscallTable.number("ptrace"))
        guard case .unsupported = SyscallTable.replayPolicy(ptrace, recordedResult: 0) else {
            Issue.record("ptrace that succeeded must stay unsupported")
            return
        }
        #expect(SyscallTable.replayPolicy(ptrace, recordedResult: -1) == .emulate)   // EPERM
        #expect(try SyscallTable.writtenRegions(number: ptrace, args: [0x4206, 1, 0, 0, 0, 0], result: -1,
                                                memory: FakeMemory()).isEmpty)
    }

    @Test("FIGETBSZ and FIBMAP store an int at argp")
    func blockSizeIoctls() throws {
        let ioctl = try #require(SyscallTable.number("ioctl"))
        let regions = try SyscallTable.writtenRegions(number: ioctl, args: [3, 2, 0x1000, 0, 0, 0], result: 0, memory: FakeMemory())
        #expect(regions == [WrittenRegion(address: 0x1000, length: 4)])
    }
}
