import CVPlay
import Glibc
import Testing
import VPlayTestSupport
import VPlayBundle
import VPlayKernel

extension TracedProcessTests {
    @Suite struct ThreadCPUTime {
        @Test func clockGrowsForABusyChildAndNotForABlockedOne() throws {
            let (pid, gate) = try spawnGated(["/bin/sh", "-c", "while :; do :; done"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            let clock = try #require(ThreadCPUClock(tid: pid))

            // Blocked in the gate read: (almost) no CPU time passes.
            usleep(50_000)
            let idle0 = try #require(clock.nanos())
            usleep(200_000)
            let idle1 = try #require(clock.nanos())
            #expect(idle1 &- idle0 < 20_000_000, "blocked child used \(idle1 &- idle0) ns")

            release(gate)
            usleep(50_000)
            let busy0 = try #require(clock.nanos())
            usleep(400_000)
            let busy1 = try #require(clock.nanos())
            #expect(busy1 > busy0)
            #expect(busy1 - busy0 > 50_000_000, "busy child used only \(busy1 - busy0) ns in 400 ms")
            // The one-shot reader agrees with the kept-open clock.
            let oneShot = try #require(threadCPUNanos(pid))
            #expect(oneShot >= busy1)
        }

        @Test func clockOfAVanishedThreadGivesNil() throws {
            let (pid, gate) = try spawnGated(["/bin/true"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            let clock = try #require(ThreadCPUClock(tid: pid))
            child.end()
            #expect(clock.nanos() == nil)
            #expect(ThreadCPUClock(tid: pid) == nil || ProcFS.threadIDs(pid).count > 0)  // pid may be reused
            #expect(threadCPUNanos(Int32.max) == nil)
            #expect(ThreadCPUClock(tid: Int32.max) == nil)
        }

        @Test func fingerprintRangesOfATracedChildCoverItsStackAndData() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let maps = try completeMaps(child.pid)
            let program = ProcFS.executable(child.pid)
            let sp = try Tracee(child.pid).registers().rsp
            let ranges = fingerprintRanges(maps: maps, program: program, sp: sp)
            #expect(ranges.count % 2 == 0)
            let pairs = stride(from: 0, to: ranges.count, by: 2).map { (ranges[$0], ranges[$0 + 1]) }
            #expect(pairs.contains { $0.0 <= sp && sp < $0.0 + $0.1 }, "no range covers sp 0x\(String(sp, radix: 16))")
            for m in maps where m.path == program && m.writable {
                #expect(pairs.contains { $0.0 == m.start }, "writable \(m) not fingerprinted")
            }
            // And the fingerprint sees a change in any of them.
            let memory = try ProcessMemory(pid: child.pid)
            let before = memoryFingerprint(memory, ranges: ranges)
            #expect(memoryFingerprint(memory, ranges: ranges) == before)
            let (start, length) = try #require(pairs.last)
            let address = start + length / 2
            let old = try memory.read(address, count: 1)
            try memory.write(address, [old[0] ^ 0x5a])
            #expect(memoryFingerprint(memory, ranges: ranges) != before)
            try memory.write(address, old)
            #expect(memoryFingerprint(memory, ranges: ranges) == before)
        }
    }
}

@Suite struct MemoryFingerprints {
    let maps: [MemoryMapping] = [
        MemoryMapping(start: 0x40_0000, end: 0x40_1000, permissions: "r--p", offset: 0, path: "/bin/prog"),
        MemoryMapping(start: 0x40_1000, end: 0x40_5000, permissions: "r-xp", offset: 0x1000, path: "/bin/prog"),
        MemoryMapping(start: 0x60_0000, end: 0x60_2000, permissions: "rw-p", offset: 0x2000, path: "/bin/prog"),
        MemoryMapping(start: 0x60_2000, end: 0x60_4000, permissions: "rw-p", offset: 0, path: ""),  // bss
        MemoryMapping(start: 0x70_0000, end: 0x90_0000, permissions: "rw-p", offset: 0, path: "[heap]"),
        MemoryMapping(start: 0x7f00_0000_0000, end: 0x7f00_0000_1000, permissions: "rw-p", offset: 0, path: "/lib/libc.so.6"),
        MemoryMapping(start: 0x7f00_0000_1000, end: 0x7f00_0000_3000, permissions: "rw-p", offset: 0, path: ""),
        MemoryMapping(start: 0x7ffd_0000_0000, end: 0x7ffd_0002_1000, permissions: "rw-p", offset: 0, path: "[stack]"),
    ]

    @Test func rangesAreTheStackAroundSpAndTheProgramsWritableDataWithBss() {
        let sp: UInt64 = 0x7ffd_0001_5108
        let ranges = fingerprintRanges(maps: maps, program: "/bin/prog", sp: sp)
        #expect(ranges == [0x7ffd_0001_5088, 320,      // the red zone and 192 bytes above sp
                           0x60_0000, 0x2000,          // .data
                           0x60_2000, 0x2000])         // the bss right after it
    }

    @Test func stackRangeEndsAtTheTopOfTheStack() {
        let ranges = fingerprintRanges(maps: maps, program: "/bin/prog", sp: 0x7ffd_0002_0ff8)
        #expect(Array(ranges.prefix(2)) == [0x7ffd_0002_0f78, 0x88])  // cut at the top of the stack
    }

    @Test func onlyTheStackRightAroundSpIsCovered() {
        // Below the red zone the stack is dead; a signal frame just pushed above sp holds its
        // saved registers in the first 192 bytes, and then state that need not repeat in replay.
        let sp: UInt64 = 0x7ffd_0001_5f00
        let ranges = fingerprintRanges(maps: maps, program: "/bin/prog", sp: sp)
        #expect(ranges[0] == sp - 128, "the stack range starts at the red zone")
        #expect(ranges[0] + ranges[1] == sp + 192)
    }

    @Test func spOutsideEveryMappingGivesOnlyTheData() {
        let ranges = fingerprintRanges(maps: maps, program: "/bin/prog", sp: 0x1234)
        #expect(ranges == [0x60_0000, 0x2000, 0x60_2000, 0x2000])
    }

    @Test func largeWritableMappingsAreCappedAt64KiB() {
        let big = [MemoryMapping(start: 0x60_0000, end: 0x260_0000, permissions: "rw-p", offset: 0, path: "/bin/prog")]
        #expect(fingerprintRanges(maps: big, program: "/bin/prog", sp: 0) == [0x60_0000, 64 << 10])
    }

    @Test func otherObjectsAreLeftOut() {
        let ranges = fingerprintRanges(maps: maps, program: "/bin/other", sp: 0)
        #expect(ranges.isEmpty)
    }

    @Test func ownStackAndBinaryDataAreCovered() throws {
        let maps = try completeMaps(getpid())
        let program = ProcFS.executable(getpid())
        var local: UInt64 = 0
        let sp = withUnsafeMutablePointer(to: &local) { UInt64(UInt(bitPattern: $0)) }
        let ranges = fingerprintRanges(maps: maps, program: program, sp: sp)
        let pairs = stride(from: 0, to: ranges.count - 1, by: 2).map { (ranges[$0], ranges[$0 + 1]) }
        #expect(pairs.first.map { $0.0 == sp - 128 } == true)
        #expect(pairs.contains { $0.0 <= sp && sp < $0.0 + $0.1 })
        let writable = maps.filter { $0.path == program && $0.writable }
        #expect(!writable.isEmpty)
        for m in writable { #expect(pairs.contains { $0.0 == m.start }) }
    }

    @Test func fingerprintIsFNV1aOverTheRanges() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        buffer.storeBytes(of: UInt8(ascii: "a"), as: UInt8.self)
        let address = UInt64(UInt(bitPattern: buffer))
        let memory = try ProcessMemory(pid: getpid())
        #expect(memoryFingerprint(memory, ranges: []) == 0xcbf2_9ce4_8422_2325)    // FNV-1a offset basis
        #expect(memoryFingerprint(memory, ranges: [address, 1]) == 0xaf63_dc4c_8601_ec8c)  // FNV-1a("a")
        // A trailing half pair is ignored.
        #expect(memoryFingerprint(memory, ranges: [address, 1, address]) == 0xaf63_dc4c_8601_ec8c)
    }

    @Test func fingerprintChangesWhenAByteInARangeChanges() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 7, count: 4096)
        let address = UInt64(UInt(bitPattern: buffer))
        let memory = try ProcessMemory(pid: getpid())
        let ranges = [address, 64, address + 1000, 3000]
        let before = memoryFingerprint(memory, ranges: ranges)
        for offset in [0, 63, 1000, 3999] {
            buffer.storeBytes(of: 8, toByteOffset: offset, as: UInt8.self)
            #expect(memoryFingerprint(memory, ranges: ranges) != before, "byte \(offset)")
            buffer.storeBytes(of: 7, toByteOffset: offset, as: UInt8.self)
            #expect(memoryFingerprint(memory, ranges: ranges) == before)
        }
        // Bytes outside the ranges do not count.
        buffer.storeBytes(of: 8, toByteOffset: 500, as: UInt8.self)
        #expect(memoryFingerprint(memory, ranges: ranges) == before)
    }

    @Test func unreadableRangesCountAsAbsent() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 3, count: 64)
        let address = UInt64(UInt(bitPattern: buffer))
        let memory = try ProcessMemory(pid: getpid())
        // Page 0 can never be mapped (vm.mmap_min_addr).
        #expect(memoryFingerprint(memory, ranges: [address, 64, 0, 0x1000])
                    == memoryFingerprint(memory, ranges: [address, 64]))
    }
}

@Suite struct RestartErrnoRewinding {
    func interrupted(_ result: Int64, origRax: UInt64 = 0) -> Registers {
        var r = Registers()
        r.rax = UInt64(bitPattern: result)
        r.origRax = origRax
        r.rip = 0x40_1002
        r.rdi = 3; r.rsi = 0x7fff_0000; r.rdx = 4096; r.rsp = 0x7ffd_0000_1000
        return r
    }

    @Test(arguments: [RestartErrno.restartSys, RestartErrno.restartNoIntr, RestartErrno.restartNoHand])
    func restartRewindsRipByTwoAndReloadsTheSyscallNumber(result: Int64) {
        let regs = interrupted(result, origRax: 0)  // read
        let r = RestartErrno.restarted(regs)
        #expect(r.rip == 0x40_1000)
        #expect(r.rax == 0)
        var expected = regs
        expected.rip = 0x40_1000
        expected.rax = 0
        #expect(r == expected, "only rip and rax change")
    }

    @Test func restartBlockUsesRestartSyscall() {
        let regs = interrupted(RestartErrno.restartBlock, origRax: 35)  // nanosleep
        let r = RestartErrno.restarted(regs)
        #expect(r.rip == 0x40_1000)
        #expect(r.rax == 219)
        #expect(r.origRax == 35 && r.rdi == regs.rdi)
    }

    @Test func restartOfAnotherCallKeepsItsNumber() {
        let r = RestartErrno.restarted(interrupted(RestartErrno.restartSys, origRax: 7))  // poll
        #expect(r.rax == 7)
    }
}
