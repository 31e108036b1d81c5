import Testing
@testable import VPlaySyscalls

@Suite("Calls that need code")
struct IrregularRegionTests {
    func expectUnsupported(_ name: String, _ args: [UInt64], result: Int64, mentioning text: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let found = try regions(name, args, result: result)
            Issue.record("expected \(name) to be unsupported, got \(found)", sourceLocation: sourceLocation)
        } catch let SyscallTableError.unsupported(called, reason) {
            #expect(called == name, sourceLocation: sourceLocation)
            #expect(reason.contains(text), "\(reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: recvmsg and friends

    @Test func recvmsgReportsNameIovecsControlAndFlags() throws {
        let memory = FakeMemory()
        memory.putMsghdr(0x100, name: 0x1000, namelen: 16, iov: 0x200, iovlen: 2,
                         control: 0x3000, controllen: 24, flags: 0)
        memory.putIovecs(0x200, [(0x2000, 8), (0x2800, 64)])
        let found = try regions("recvmsg", [3, 0x100, 0], result: 20, memory: memory)
        #expect(found == [
            region(0x1000, 16), region(0x108, 4),       // msg_name, msg_namelen
            region(0x2000, 8), region(0x2800, 12),      // the data
            region(0x3000, 24), region(0x128, 8),       // msg_control, msg_controllen
            region(0x130, 4),                           // msg_flags
        ])
    }

    @Test func recvmsgWithoutNameOrControlReportsLengthsAndFlags() throws {
        let memory = FakeMemory()
        memory.putMsghdr(0x100, name: 0, namelen: 0, iov: 0x200, iovlen: 1, control: 0, controllen: 0, flags: 0)
        memory.putIovecs(0x200, [(0x2000, 100)])
        #expect(try regions("recvmsg", [3, 0x100, 0], result: 5, memory: memory)
            == [region(0x2000, 5), region(0x128, 8), region(0x130, 4)])
        #expect(try regions("recvmsg", [3, 0x100, 0], result: -11, memory: memory).isEmpty)
    }

    @Test func recvmmsgReportsEachReceivedMessageAndTheTimeout() throws {
        let memory = FakeMemory()
        memory.putMsghdr(0x100, name: 0, namelen: 0, iov: 0x200, iovlen: 1, control: 0, controllen: 0, flags: 0, msgLen: 7)
        memory.putMsghdr(0x140, name: 0, namelen: 0, iov: 0x210, iovlen: 1, control: 0, controllen: 0, flags: 0, msgLen: 3)
        memory.putIovecs(0x200, [(0x2000, 100), (0x3000, 100)])
        let found = try regions("recvmmsg", [3, 0x100, 4, 0, 0x5000], result: 2, memory: memory)
        #expect(found == [
            region(0x2000, 7), region(0x128, 8), region(0x130, 4), region(0x138, 4),
            region(0x3000, 3), region(0x168, 8), region(0x170, 4), region(0x178, 4),
            region(0x5000, 16),
        ])
    }

    @Test func sendmmsgStoresEachSentLength() throws {
        #expect(try regions("sendmmsg", [3, 0x100, 4, 0], result: 2) == [region(0x138, 4), region(0x178, 4)])
    }

    @Test func getsockoptWritesTheStoredLength() throws {
        let memory = FakeMemory()
        memory.put(0x2000, fields: [(4, 4)])
        #expect(try regions("getsockopt", [3, 1, 4, 0x1000, 0x2000], result: 0, memory: memory)
            == [region(0x1000, 4), region(0x2000, 4)])
    }

    // MARK: ioctl

    @Test func ioctlTCGETSWritesTheKernelTermios() throws {
        #expect(try regions("ioctl", [0, 0x5401, 0x1000], result: 0) == [region(0x1000, 36)])
    }

    @Test func ioctlKnownRequestsHaveTheirSizes() throws {
        #expect(try regions("ioctl", [1, 0x5413, 0x1000], result: 0) == [region(0x1000, 8)])  // TIOCGWINSZ
        #expect(try regions("ioctl", [3, 0x541B, 0x1000], result: 0) == [region(0x1000, 4)])  // FIONREAD
        #expect(try regions("ioctl", [0, 0x5402, 0x1000], result: 0).isEmpty)                 // TCSETS
        #expect(try regions("ioctl", [3, 0x5421, 0x1000], result: 0).isEmpty)                 // FIONBIO
    }

    @Test func ioctlFollowsIOCDirectionAndSize() throws {
        #expect(try regions("ioctl", [3, 0x8004_5430, 0x1000], result: 0) == [region(0x1000, 4)])  // TIOCGPTN: _IOR 4
        #expect(try regions("ioctl", [3, 0xC010_6400, 0x1000], result: 0) == [region(0x1000, 16)]) // _IOWR 16
        #expect(try regions("ioctl", [3, 0x4004_5431, 0x1000], result: 0).isEmpty)                 // TIOCSPTLCK: _IOW
        // Only the low 32 bits are the request.
        #expect(try regions("ioctl", [3, 0xffff_ffff_0000_5401, 0x1000], result: 0) == [region(0x1000, 36)])
    }

    @Test func unknownIoctlWithoutDirectionBitsIsUnsupported() {
        expectUnsupported("ioctl", [3, 0xAE01, 0], result: 3, mentioning: "0xae01")
    }

    @Test func failedUnknownIoctlWritesNothing() throws {
        #expect(try regions("ioctl", [3, 0xAE01, 0], result: -25).isEmpty)
    }

    @Test func ifconfReportsTheFilledLengthAndBuffer() throws {
        let memory = FakeMemory()
        memory.put(0x100, fields: [(80, 4), (0, 4), (0x2000, 8)])
        #expect(try regions("ioctl", [3, 0x8912, 0x100], result: 0, memory: memory)
            == [region(0x100, 4), region(0x2000, 80)])
    }

    // MARK: fcntl, prctl, arch_prctl, seccomp

    @Test func fcntlGetlkWritesStructFlock() throws {
        #expect(try regions("fcntl", [3, 5, 0x1000], result: 0) == [region(0x1000, 32)])
        #expect(try regions("fcntl", [3, 36, 0x1000], result: 0) == [region(0x1000, 32)])
        #expect(try regions("fcntl", [3, 4, 0x800], result: 0).isEmpty)
        #expect(try regions("fcntl", [3, 1030, 10], result: 11).isEmpty)
    }

    @Test func unknownFcntlIsUnsupported() {
        expectUnsupported("fcntl", [3, 9999, 0], result: 0, mentioning: "9999")
    }

    @Test func prctlGetNameWritesSixteenBytes() throws {
        #expect(try regions("prctl", [16, 0x1000, 0, 0, 0], result: 0) == [region(0x1000, 16)])
        #expect(try regions("prctl", [15, 0x1000, 0, 0, 0], result: 0).isEmpty)
        #expect(try regions("prctl", [0x4155_5856, 0x1000, 64, 0, 0], result: 368) == [region(0x1000, 64)])
        expectUnsupported("prctl", [35, 0, 0, 0, 0], result: 0, mentioning: "PR_SET_MM")
        expectUnsupported("prctl", [9999, 0, 0, 0, 0], result: 0, mentioning: "9999")
    }

    @Test func archPrctlGetFsWritesEightBytes() throws {
        #expect(try regions("arch_prctl", [0x1003, 0x1000], result: 0) == [region(0x1000, 8)])
        #expect(try regions("arch_prctl", [0x1002, 0x7f00_0000_1000], result: 0).isEmpty)
        expectUnsupported("arch_prctl", [0x2001, 0x7f00_0000_0000], result: 0, mentioning: "vDSO")
    }

    @Test func seccompNotifSizesWritesSixBytes() throws {
        #expect(try regions("seccomp", [3, 0, 0x1000], result: 0) == [region(0x1000, 6)])
        #expect(try regions("seccomp", [1, 0, 0x1000], result: 0).isEmpty)
    }

    // MARK: processes

    @Test func wait4ReportsStatusAndRusageOnlyForAReapedChild() throws {
        #expect(try regions("wait4", [UInt64.max, 0x1000, 0, 0x2000], result: 42)
            == [region(0x1000, 4), region(0x2000, 144)])
        #expect(try regions("wait4", [UInt64.max, 0x1000, 1, 0x2000], result: 0).isEmpty)
        #expect(try regions("wait4", [UInt64.max, 0x1000, 0, 0], result: -10).isEmpty)
    }

    @Test func waitidReportsSiginfo() throws {
        #expect(try regions("waitid", [0, 0, 0x1000, 4, 0], result: 0) == [region(0x1000, 128)])
    }

    @Test func cloneWithParentSetTidWritesTheTid() throws {
        let flags: UInt64 = 0x003D_0F00      // glibc's pthread_create flags, CLONE_PARENT_SETTID included
        #expect(try regions("clone", [flags, 0x7000, 0x1000, 0x1000, 0x8000], result: 1234) == [region(0x1000, 4)])
        #expect(try regions("clone", [flags, 0x7000, 0x1000, 0x1000, 0x8000], result: 0).isEmpty)  // in the child
        #expect(try regions("clone", [0x11, 0, 0x1000, 0, 0], result: 1234).isEmpty)              // plain fork
    }

    @Test func clone3ReadsParentTidAndPidfdFromCloneArgs() throws {
        let memory = FakeMemory()
        memory.put(0x100, fields: [(0x0010_1000, 8), (0x2000, 8), (0x3000, 8), (0x4000, 8), (17, 8),
                                   (0, 8), (0, 8), (0, 8)])
        #expect(try regions("clone3", [0x100, 64], result: 99, memory: memory) == [region(0x2000, 4), region(0x4000, 4)])
        #expect(try regions("clone3", [0x100, 64], result: 0, memory: memory).isEmpty)
    }

    @Test func piFutexesReportTheFutexWord() throws {
        #expect(try regions("futex", [0x1000, 0x80, 1, 0, 0, 0], result: 0).isEmpty)           // FUTEX_WAIT_PRIVATE
        #expect(try regions("futex", [0x1000, 0x86, 0, 0, 0, 0], result: -110) == [region(0x1000, 4)])  // LOCK_PI, timed out
        #expect(try regions("futex", [0x1000, 5, 1, 1, 0x2000, 0], result: 1) == [region(0x2000, 4)])   // WAKE_OP
    }

    @Test func restartSyscallAsksForTheInterruptedCall() {
        expectUnsupported("restart_syscall", [], result: 0, mentioning: "interrupted call")
    }

    // MARK: select, memory, IPC

    @Test func selectRewritesTheGivenFdSets() throws {
        #expect(try regions("select", [65, 0x1000, 0, 0x3000, 0x4000], result: 1)
            == [region(0x1000, 16), region(0x3000, 16), region(0x4000, 16)])
        #expect(try regions("pselect6", [3, 0x1000, 0x2000, 0, 0, 0], result: 0) == [region(0x1000, 8), region(0x2000, 8)])
        #expect(try regions("select", [65, 0x1000, 0, 0, 0x4000], result: EINTR) == [region(0x4000, 16)])
    }

    @Test func mincoreWritesOneBytePerPage() throws {
        #expect(try regions("mincore", [0x7000_0000, 4097, 0x1000], result: 0) == [region(0x1000, 2)])
        #expect(try regions("mincore", [0x7000_0000, 8192, 0x1000], result: 0) == [region(0x1000, 2)])
    }

    @Test func msgrcvWritesTypeAndText() throws {
        #expect(try regions("msgrcv", [1, 0x1000, 100, 0, 0], result: 10) == [region(0x1000, 18)])
    }

    @Test func semctlGetallIsUnsupported() {
        expectUnsupported("semctl", [1, 0, 13, 0x1000], result: 0, mentioning: "GETALL")
    }

    // MARK: calls the table cannot describe

    @Test func unsupportedCallsThrowWithTheirName() {
        expectUnsupported("io_uring_setup", [8, 0x1000], result: 3, mentioning: "asynchronous")
        expectUnsupported("shmat", [1, 0, 0], result: 0x7f00_0000_0000, mentioning: "shared memory")
    }

    @Test func unimplementedCallsWriteNothing() throws {
        #expect(try regions("io_uring_setup", [8, 0x1000], result: ENOSYS).isEmpty)
        #expect(try SyscallTable.writtenRegions(number: 400, args: [], result: ENOSYS, memory: FakeMemory()).isEmpty)
    }

    @Test func unknownNumbersThrowNamingTheNumber() {
        #expect(throws: SyscallTableError.unsupported(name: "syscall_400", reason: "not an x86_64 system call")) {
            try SyscallTable.writtenRegions(number: 400, args: [], result: 0, memory: FakeMemory())
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = SyscallTableError.unsupported(name: "ioctl", reason: "why")
        #expect(error.description == "unsupported system call ioctl: why")
    }
}
