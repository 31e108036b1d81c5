import Testing
@testable import VPlaySyscalls

let EINTR: Int64 = -4, EFAULT: Int64 = -14, EINVAL: Int64 = -22, ENOSYS: Int64 = -38
let ERESTART_RESTARTBLOCK: Int64 = -516

@Suite("Calls described by data")
struct DeclarativeRegionTests {
    @Test func readReportsResultBytesAtArgOne() throws {
        #expect(try regions("read", [3, 0x1000, 100], result: 10) == [region(0x1000, 10)])
        #expect(try regions("pread64", [3, 0x1000, 100, 0], result: 100) == [region(0x1000, 100)])
    }

    @Test func errorsWriteNothing() throws {
        #expect(try regions("read", [3, 0x1000, 100], result: EINTR).isEmpty)
        #expect(try regions("clock_gettime", [1, 0x2000], result: EINVAL).isEmpty)
        #expect(try regions("fstat", [3, 0x2000], result: -9).isEmpty)
        #expect(try regions("getdents64", [3, 0x2000, 4096], result: -4095).isEmpty)
    }

    @Test func emptyReadsAndNullPointersWriteNothing() throws {
        #expect(try regions("read", [3, 0x1000, 100], result: 0).isEmpty)
        #expect(try regions("clock_gettime", [1, 0], result: 0).isEmpty)
        #expect(try regions("time", [0], result: 1_700_000_000).isEmpty)
    }

    @Test func resultBytesNeverExceedTheBuffer() throws {
        // recvfrom with MSG_TRUNC returns the datagram's real length.
        #expect(try regions("recvfrom", [3, 0x1000, 16, 0x20, 0, 0], result: 1500) == [region(0x1000, 16)])
        // getxattr with size 0 only asks for the length.
        #expect(try regions("getxattr", [0x10, 0x20, 0x3000, 0], result: 42).isEmpty)
        #expect(try regions("getgroups", [0, 0x3000], result: 5).isEmpty)
    }

    @Test func fixedStructsHaveTheirKernelSizes() throws {
        #expect(try regions("clock_gettime", [1, 0x2000], result: 0) == [region(0x2000, 16)])
        #expect(try regions("clock_getres", [1, 0x2000], result: 0) == [region(0x2000, 16)])
        #expect(try regions("fstat", [3, 0x2000], result: 0) == [region(0x2000, 144)])
        #expect(try regions("newfstatat", [0xffff_ff9c, 0x10, 0x2000, 0], result: 0) == [region(0x2000, 144)])
        #expect(try regions("statx", [0xffff_ff9c, 0x10, 0, 0xfff, 0x2000], result: 0) == [region(0x2000, 256)])
        #expect(try regions("uname", [0x2000], result: 0) == [region(0x2000, 390)])
        #expect(try regions("sysinfo", [0x2000], result: 0) == [region(0x2000, 112)])
        #expect(try regions("getrusage", [0, 0x2000], result: 0) == [region(0x2000, 144)])
        #expect(try regions("fstatfs", [3, 0x2000], result: 0) == [region(0x2000, 120)])
        #expect(try regions("pipe2", [0x2000, 0], result: 0) == [region(0x2000, 8)])
        #expect(try regions("socketpair", [1, 1, 0, 0x2000], result: 0) == [region(0x2000, 8)])
        #expect(try regions("prlimit64", [0, 7, 0, 0x2000], result: 0) == [region(0x2000, 16)])
        #expect(try regions("rt_sigaction", [11, 0x1000, 0x2000, 8], result: 0) == [region(0x2000, 32)])
        #expect(try regions("sigaltstack", [0x1000, 0x2000], result: 0) == [region(0x2000, 24)])
        #expect(try regions("setitimer", [0, 0x1000, 0x2000], result: 0) == [region(0x2000, 32)])
    }

    @Test func gettimeofdaySkipsANullTimezone() throws {
        #expect(try regions("gettimeofday", [0x2000, 0], result: 0) == [region(0x2000, 16)])
        #expect(try regions("gettimeofday", [0x2000, 0x3000], result: 0) == [region(0x2000, 16), region(0x3000, 8)])
    }

    @Test func sigprocmaskWritesSigsetsizeBytesOfOldSet() throws {
        #expect(try regions("rt_sigprocmask", [0, 0x1000, 0x2000, 8], result: 0) == [region(0x2000, 8)])
        #expect(try regions("rt_sigprocmask", [0, 0x1000, 0, 8], result: 0).isEmpty)
    }

    @Test func nanosleepStoresTheRemainderWhenInterrupted() throws {
        #expect(try regions("nanosleep", [0x1000, 0x2000], result: EINTR) == [region(0x2000, 16)])
        #expect(try regions("nanosleep", [0x1000, 0x2000], result: ERESTART_RESTARTBLOCK) == [region(0x2000, 16)])
        #expect(try regions("clock_nanosleep", [1, 0, 0x1000, 0x2000], result: EINTR) == [region(0x2000, 16)])
        #expect(try regions("nanosleep", [0x1000, 0x2000], result: EINVAL).isEmpty)
        #expect(try regions("nanosleep", [0x1000, 0], result: EINTR).isEmpty)
    }

    @Test func pollRewritesTheWholeArrayEvenWhenInterrupted() throws {
        #expect(try regions("poll", [0x1000, 3, 100], result: 1) == [region(0x1000, 24)])
        #expect(try regions("poll", [0x1000, 3, 100], result: 0) == [region(0x1000, 24)])
        #expect(try regions("poll", [0x1000, 3, 100], result: ERESTART_RESTARTBLOCK) == [region(0x1000, 24)])
        #expect(try regions("poll", [0x1000, 3, 100], result: EFAULT).isEmpty)
        // nfds is an unsigned int: the register's upper half is not part of it.
        #expect(try regions("poll", [0x1000, 0xdead_0000_0000_0002, 100], result: 1) == [region(0x1000, 16)])
    }

    @Test func ppollStoresTheRemainingTimeoutWhateverTheResult() throws {
        #expect(try regions("ppoll", [0x1000, 2, 0x2000, 0, 8], result: 2) == [region(0x1000, 16), region(0x2000, 16)])
        #expect(try regions("ppoll", [0x1000, 2, 0x2000, 0, 8], result: EINVAL) == [region(0x2000, 16)])
        #expect(try regions("ppoll", [0x1000, 2, 0x2000, 0, 8], result: EFAULT).isEmpty)
    }

    @Test func epollWaitWritesTwelveBytesPerEvent() throws {
        #expect(try regions("epoll_wait", [4, 0x1000, 64, 0xffff_ffff], result: 3) == [region(0x1000, 36)])
        #expect(try regions("epoll_pwait", [4, 0x1000, 64, 0, 0, 8], result: 1) == [region(0x1000, 12)])
        #expect(try regions("epoll_pwait2", [4, 0x1000, 64, 0, 0, 8], result: 2) == [region(0x1000, 24)])
        #expect(try regions("epoll_wait", [4, 0x1000, 64, 0], result: 0).isEmpty)
    }

    @Test func getgroupsWritesFourBytesPerGroup() throws {
        #expect(try regions("getgroups", [32, 0x1000], result: 3) == [region(0x1000, 12)])
    }

    @Test func sendfileAndSpliceUpdateTheirOffsets() throws {
        #expect(try regions("sendfile", [1, 3, 0x1000, 100], result: 100) == [region(0x1000, 8)])
        #expect(try regions("sendfile", [1, 3, 0, 100], result: 100).isEmpty)
        #expect(try regions("splice", [3, 0x1000, 4, 0x2000, 10, 0], result: 10) == [region(0x1000, 8), region(0x2000, 8)])
    }

    @Test func sockaddrOutputsFollowTheStoredLength() throws {
        let memory = FakeMemory()
        memory.put(0x2000, fields: [(16, 4)])
        #expect(try regions("accept4", [3, 0x1000, 0x2000, 0], result: 5, memory: memory)
            == [region(0x1000, 16), region(0x2000, 4)])
        #expect(try regions("getsockname", [3, 0x1000, 0x2000], result: 0, memory: memory)
            == [region(0x1000, 16), region(0x2000, 4)])
        // A null address buffer: the kernel stores neither the address nor its length.
        #expect(try regions("accept", [3, 0, 0], result: 5, memory: memory).isEmpty)
        // A length beyond sockaddr_storage is capped.
        memory.put(0x2000, fields: [(4000, 4)])
        #expect(try regions("getpeername", [3, 0x1000, 0x2000], result: 0, memory: memory)
            == [region(0x1000, 128), region(0x2000, 4)])
    }

    @Test func recvfromReportsDataAndSourceAddress() throws {
        let memory = FakeMemory()
        memory.put(0x3000, fields: [(110, 4)])
        #expect(try regions("recvfrom", [3, 0x1000, 512, 0, 0x2000, 0x3000], result: 20, memory: memory)
            == [region(0x1000, 20), region(0x2000, 110), region(0x3000, 4)])
    }

    @Test func readvSpreadsResultBytesAcrossIovecs() throws {
        let memory = FakeMemory()
        memory.putIovecs(0x500, [(0x1000, 4), (0x2000, 0), (0x3000, 10), (0x4000, 8)])
        #expect(try regions("readv", [3, 0x500, 4], result: 9, memory: memory) == [region(0x1000, 4), region(0x3000, 5)])
        #expect(try regions("preadv2", [3, 0x500, 4, 0, 0, 0], result: 22, memory: memory)
            == [region(0x1000, 4), region(0x3000, 10), region(0x4000, 8)])
        #expect(try regions("readv", [3, 0x500, 4], result: 0, memory: memory).isEmpty)
    }

    @Test func iovecReadFailuresPropagate() throws {
        #expect(throws: FakeMemory.Unmapped(address: 0x500)) {
            try regions("readv", [3, 0x500, 2], result: 9)
        }
        let memory = FakeMemory()
        memory.putIovecs(0x500, [(0x1000, 4), (0x3000, 10)])
        memory.truncateReadsTo = 8
        #expect(throws: SyscallTableError.shortRead(address: 0x500, wanted: 32, got: 8)) {
            try regions("readv", [3, 0x500, 2], result: 9, memory: memory)
        }
    }

    @Test func memoryMapCallsReportNothing() throws {
        #expect(try regions("mmap", [0, 4096, 3, 0x22, UInt64.max, 0], result: 0x7f00_0000_0000).isEmpty)
        #expect(try regions("brk", [0], result: 0x5555_0000).isEmpty)
        #expect(try regions("munmap", [0x7f00_0000_0000, 4096], result: 0).isEmpty)
    }

    @Test func shortArgumentArraysReadAsZero() throws {
        #expect(try regions("clock_gettime", [1], result: 0).isEmpty)
        #expect(try regions("read", [], result: 10).isEmpty)
    }

    @Test func capgetStoresItsVersionWhenRejectingOne() throws {
        #expect(try regions("capget", [0x1000, 0], result: EINVAL) == [region(0x1000, 4)])
        let memory = FakeMemory()
        memory.put(0x1000, fields: [(0x2008_0522, 4), (0, 4)])
        #expect(try regions("capget", [0x1000, 0x2000], result: 0, memory: memory) == [region(0x2000, 24)])
    }

    @Test func moduleListsStoreTheirSizeEvenWhenTooSmall() throws {
        #expect(try regions("lsm_list_modules", [0x1000, 0x2000, 0], result: -7) == [region(0x2000, 4)])
    }
}
