import Foundation
import Glibc
import Testing
import VPlayTestSupport
import VPlayBundle
import VPlayKernel

@Suite struct ProcFSMapsParsing {
    @Test func fileBackedLineGivesRangePermissionsOffsetAndPath() throws {
        let maps = try ProcFS.parseMaps(
            "55d0c0a00000-55d0c0a21000 r-xp 00001000 fd:01 1234567                    /usr/bin/prog\n")
        #expect(maps == [MemoryMapping(start: 0x55d0_c0a0_0000, end: 0x55d0_c0a2_1000, permissions: "r-xp",
                                       offset: 0x1000, path: "/usr/bin/prog")])
        #expect(maps[0].size == 0x21000)
        #expect(maps[0].readable && maps[0].executable && !maps[0].writable && !maps[0].shared)
    }

    @Test func anonymousLineHasAnEmptyPath() throws {
        // The kernel pads only when there is a name; accept both forms.
        for line in ["7f0000000000-7f0000021000 rw-p 00000000 00:00 0",
                     "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ",
                     "7f0000000000-7f0000021000 rw-p 00000000 00:00 0                          "] {
            let maps = try ProcFS.parseMaps(line)
            #expect(maps == [MemoryMapping(start: 0x7f00_0000_0000, end: 0x7f00_0002_1000, permissions: "rw-p",
                                           offset: 0, path: "")], "line: \(line)")
        }
    }

    @Test func pseudoPathsAreKept() throws {
        let maps = try ProcFS.parseMaps("""
            7ffc1c9fe000-7ffc1ca00000 r-xp 00000000 00:00 0                          [vdso]
            7ffc1c9fa000-7ffc1c9fe000 r--p 00000000 00:00 0                          [vvar]
            7ffc1c8a0000-7ffc1c8c1000 rw-p 00000000 00:00 0                          [stack]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            """)
        #expect(maps.map(\.path) == ["[vdso]", "[vvar]", "[stack]", "[vsyscall]"])
        #expect(maps[3].start == 0xffff_ffff_ff60_0000 && maps[3].end == 0xffff_ffff_ff60_1000)
        #expect(maps[3].permissions == "--xp" && !maps[3].readable && maps[3].executable)
    }

    @Test func pathsWithSpacesAreKeptWhole() throws {
        let maps = try ProcFS.parseMaps("""
            7f0000100000-7f0000101000 r--p 00002000 08:01 42                         /tmp/dir with spaces/lib name.so
            7f0000200000-7f0000201000 rw-s 00000000 00:05 7                          /memfd:ring buffer (deleted)
            """)
        #expect(maps.map(\.path) == ["/tmp/dir with spaces/lib name.so", "/memfd:ring buffer (deleted)"])
        #expect(maps[0].offset == 0x2000)
        #expect(maps[1].shared && maps[1].writable)
    }

    @Test func emptyTextAndBlankLinesGiveNoMappings() throws {
        #expect(try ProcFS.parseMaps("").isEmpty)
        #expect(try ProcFS.parseMaps("\n\n").isEmpty)
        let two = try ProcFS.parseMaps("1000-2000 r--p 0 00:00 0\n\n3000-4000 rw-p 0 00:00 0\n")
        #expect(two.map(\.start) == [0x1000, 0x3000])
    }

    @Test(arguments: [
        "garbage",
        "7f00-7f01 r-xp",                           // too few fields
        "7f0000000000-7f0000021000 rw-p 00000000 00:00",
        "zzzz-7f0000021000 rw-p 00000000 00:00 0",  // bad start
        "7f0000000000-qq rw-p 00000000 00:00 0",    // bad end
        "7f00000000007f0000021000 rw-p 00000000 00:00 0",  // no dash
        "1000-2000-3000 rw-p 00000000 00:00 0",
        "7f0000000000-7f0000021000 rw-p offset 00:00 0",   // bad offset
        "10000000000000000-10000000000000001 r--p 0 00:00 0",  // beyond 64 bits
    ])
    func malformedLinesThrow(line: String) {
        #expect(throws: TraceError.self) { try ProcFS.parseMaps(line) }
        // A bad line among good ones is still an error.
        #expect(throws: TraceError.self) { try ProcFS.parseMaps("1000-2000 r--p 0 00:00 0\n\(line)\n") }
    }

    @Test func ownMapsContainTheTestBinaryVdsoAndStack() throws {
        let maps = try completeMaps(getpid())
        let exe = ProcFS.executable(getpid())
        #expect(exe.hasPrefix("/"))
        // #dsohandle lies in the image holding this code: the test binary.
        let handle = UInt64(UInt(bitPattern: #dsohandle))
        let own = try #require(maps.first { $0.start <= handle && handle < $0.end })
        #expect(own.path == exe)
        #expect(maps.contains { $0.path == exe && $0.executable })
        #expect(maps.contains { $0.path == exe && $0.writable })
        let vdso = try #require(maps.first { $0.path == "[vdso]" })
        #expect(vdso.start == auxvValue(33))  // AT_SYSINFO_EHDR
        #expect(maps.contains { $0.path == "[stack]" })
        // Sorted and non-overlapping, as the kernel prints them.
        for (a, b) in zip(maps, maps.dropFirst()) { #expect(a.end <= b.start) }
        for m in maps { #expect(m.start < m.end) }
    }

    @Test func procFSMapsOfSelfFindTheTestBinary() throws {
        let maps = try ProcFS.maps(getpid())
        let exe = ProcFS.executable(getpid())
        let handle = UInt64(UInt(bitPattern: #dsohandle))
        let own = try #require(maps.first { $0.start <= handle && handle < $0.end })
        #expect(own.path == exe)
        #expect(maps.contains { $0.path == exe && $0.executable })
        #expect(maps.contains { $0.path == exe && $0.offset == 0 })
    }

    @Test func mapsOfAMissingProcessThrow() {
        #expect(throws: (any Error).self) { try ProcFS.maps(Int32.max) }
    }
}

@Suite struct ProcFSOtherFiles {
    @Test func statusHasOwnPidAndHexSignalMasks() throws {
        let status = try ProcFS.status("/proc/self/status")
        #expect(status["Pid"] == "\(getpid())")
        #expect(status["SigBlk"]?.count == 16)
        #expect(ProcFS.hexField(["X": "0000000000000a05"], "X") == 0xa05)
        #expect(ProcFS.hexField([:], "X") == 0)
        #expect(ProcFS.hexField(["X": "nothex"], "X") == 0)
    }

    @Test func residentBytesOfSelfIsPositive() {
        #expect(ProcFS.residentBytes(getpid()) > 0)
        #expect(ProcFS.residentBytes(Int32.max) == 0)
    }

    @Test func threadIDsIncludeTheMainThread() {
        let tids = ProcFS.threadIDs(getpid())
        #expect(tids.contains(getpid()))
        #expect(tids == tids.sorted())
        #expect(ProcFS.threadIDs(Int32.max).isEmpty)
    }

    @Test func commandLineOfSelfMatchesArguments() {
        #expect(ProcFS.commandLine(getpid()) == CommandLine.arguments)
    }

    @Test func presentPagesReflectTouchedPages() throws {
        let m = try LocalMapping(pages: 4)
        defer { m.unmap() }
        m.base.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
        m.base.storeBytes(of: 1, toByteOffset: 2 * Int(pageSize) + 17, as: UInt8.self)
        let present = try #require(ProcFS.presentPages(getpid(), start: m.address, end: m.address + 4 * pageSize))
        #expect(present == [true, false, true, false])
    }
}

/// One entry of this process's aux vector (/proc/self/auxv), nil when absent.
func auxvValue(_ type: UInt64) -> UInt64? {
    guard let data = try? readWholeFile("/proc/self/auxv") else { return nil }
    let words = data.withUnsafeBytes { raw in
        (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
    }
    return stride(from: 0, to: words.count - 1, by: 2).first { words[$0] == type }.map { words[$0 + 1] }
}

extension TracedProcessTests {
    @Suite struct ProcFSOfAChild {
        @Test func commandLineOfAChildWithLongArgumentsIsComplete() throws {
            let long = String(repeating: "a", count: 100_000)
            let (pid, gate) = try spawnGated(["/bin/true", "first", long, "last"])
            let child = ChildProcess(pid)
            defer { child.end(); close(gate) }
            try Tracee.seize(pid, options: [.traceExec, .exitKill])
            release(gate)
            try child.expectStop(.event(.exec, signal: SIGTRAP))
            #expect(ProcFS.executable(pid) == "/usr/bin/true" || ProcFS.executable(pid) == "/bin/true")
            let argv = ProcFS.commandLine(pid)
            #expect(argv.first == "/bin/true")
            #expect(argv == ["/bin/true", "first", long, "last"])
        }

        /// The child is a stopped fork of this test binary: well over 4 KiB of maps text
        /// (Swift runtime, Foundation, thread stacks) that does not change while we read it.
        @Test func mapsOfAProcessWithManyMappingsAreComplete() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let text = try readWholeFile("/proc/\(child.pid)/maps")
            #expect(text.count > 4096, "precondition: the child's maps should exceed one page")
            let maps = try ProcFS.maps(child.pid)
            #expect(maps == (try completeMaps(child.pid)))
            #expect(maps.contains { $0.path == "[vdso]" })
        }

        @Test func threadIDsOfASingleThreadedChildIsItsPid() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            #expect(ProcFS.threadIDs(child.pid) == [child.pid])
        }
    }
}
