import CVPlay
import Glibc
import Testing
import VPlayTestSupport
import VPlayBundle
import VPlayKernel

extension TracedProcessTests {
    /// The child is a forked copy of this process, so memory prepared here before the fork sits
    /// at the same addresses in the child; writes into the child leave this process untouched.
    @Suite struct ProcessMemoryOfATracedChild {
        @Test func readsWhatTheChildInheritedAndWritesOnlyTheChild() throws {
            let local = try LocalMapping(pages: 2)
            defer { local.unmap() }
            local.fill(pattern)
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)

            #expect(try memory.read(local.address, count: local.size) == local.bytes(at: 0, count: local.size))
            // Unaligned, across the page boundary.
            #expect(try memory.read(local.address + 0xffd, count: 7) == local.bytes(at: 0xffd, count: 7))
            #expect(try memory.read(local.address, count: 0) == [])

            let new: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05]
            try memory.write(local.address + 0xffc, new)
            #expect(try memory.read(local.address + 0xffc, count: new.count) == new)
            #expect(try memory.readU64(local.address + 0xffc) == 0x0403_0201_efbe_adde)
            #expect(local.bytes(at: 0xffc, count: new.count) != new, "the write reached the tracer's own copy")
        }

        @Test func writesIntoAReadOnlyMappingLikeADebugger() throws {
            let local = try LocalMapping(pages: 1)
            defer { local.unmap() }
            local.fill { _ in 0x11 }
            #expect(mprotect(local.base, local.size, PROT_READ) == 0)
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)

            let mapping = try #require(try completeMaps(child.pid).first { $0.start <= local.address && local.address < $0.end })
            #expect(mapping.permissions == "r--p")
            try memory.write(local.address + 100, [1, 2, 3])
            #expect(try memory.read(local.address + 99, count: 5) == [0x11, 1, 2, 3, 0x11])
            #expect(local.bytes(at: 100, count: 3) == [0x11, 0x11, 0x11])
            // Still read-only for the program itself.
            #expect(try completeMaps(child.pid).first { $0.start <= local.address && local.address < $0.end }?.permissions == "r--p")
        }

        @Test func readAvailableSkipsAnUnmappedHole() throws {
            let local = try LocalMapping(pages: 3)
            defer { local.unmap() }
            local.fill(pattern)
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)
            try unmapInChild(child, local.address + pageSize, length: pageSize)

            let page0 = local.address, page2 = local.address + 2 * pageSize
            #expect(throws: KernelError.self) { try memory.read(page0, count: 3 * Int(pageSize)) }
            #expect(throws: KernelError.self) { try memory.read(page0 + pageSize, count: 1) }

            let runs = memory.readAvailable(page0, count: 3 * Int(pageSize))
            #expect(runs == [PageRun(address: page0, bytes: local.bytes(at: 0, count: 0x1000)),
                             PageRun(address: page2, bytes: local.bytes(at: 0x2000, count: 0x1000))])

            // Unaligned ends: only the readable parts of the requested range come back.
            let partial = memory.readAvailable(page0 + 0x800, count: 0x1800 + 0x10)
            #expect(partial == [PageRun(address: page0 + 0x800, bytes: local.bytes(at: 0x800, count: 0x800)),
                                PageRun(address: page2, bytes: local.bytes(at: 0x2000, count: 0x10))])
            // Fully readable: one run; fully unreadable: none.
            #expect(memory.readAvailable(page2 + 8, count: 16) == [PageRun(address: page2 + 8, bytes: local.bytes(at: 0x2008, count: 16))])
            #expect(memory.readAvailable(page0 + pageSize, count: Int(pageSize)).isEmpty)
        }

        @Test func readStringStopsAtNulLimitAndPageEnds() throws {
            let local = try LocalMapping(pages: 3)
            defer { local.unmap() }
            func put(_ s: String, at offset: Int) {
                let bytes = Array(s.utf8) + [0]
                for (i, b) in bytes.enumerated() { local.base.storeBytes(of: b, toByteOffset: offset + i, as: UInt8.self) }
            }
            put("hello, vplay", at: 100)
            put("crossing-the-page", at: 0x2000 - 5)
            put("edge", at: 0x1000 - 5)  // its NUL is the last byte before page 1
            let long = String(repeating: "x", count: 700)
            put(long, at: 0x2100)
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)

            #expect(try memory.readString(local.address + 100) == "hello, vplay")
            #expect(try memory.readString(local.address + 100, limit: 5) == "hello")
            #expect(try memory.readString(local.address + 0x2000 - 5) == "crossing-the-page")
            #expect(try memory.readString(local.address + 0x2100) == long)  // more than one 256-byte chunk
            #expect(try memory.readString(local.address + 0x2100, limit: 300) == String(long.prefix(300)))
            #expect(try memory.readString(local.address + 0x2fff) == "")

            // Page 1 goes away: a string ending right before the hole still reads; one running
            // into it throws.
            try unmapInChild(child, local.address + pageSize, length: pageSize)
            #expect(try memory.readString(local.address + 0x1000 - 5) == "edge")
            try memory.write(local.address + 0x1000 - 3, Array("ge!".utf8))  // no NUL before the hole now
            #expect(throws: KernelError.self) { try memory.readString(local.address + 0x1000 - 5) }
        }

        @Test func openingTheMemoryOfAMissingProcessThrows() {
            #expect(throws: KernelError.self) { try ProcessMemory(pid: Int32.max) }
        }
    }
}

/// munmap inside a traceme child (at its SIGSTOP stop) by an injected syscall; restores its registers.
func unmapInChild(_ child: ChildProcess, _ address: UInt64, length: UInt64) throws {
    let tracee = Tracee(child.pid)
    let regs = try tracee.registers()
    let caller = try RemoteCaller(tracee, syscallInstruction: regs.rip - 2, atEntryStop: false)
    let r = try caller.call(SyscallNumber.munmap, [address, length])
    try caller.finish(reissue: false)
    guard r == 0 else { throw TestFailure("injected munmap returned \(r)") }
}
