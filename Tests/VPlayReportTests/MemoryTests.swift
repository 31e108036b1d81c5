import Testing
import VPlayBundle
@testable import VPlayReport

@Suite("saved memory: reads over runs, pages per mapping")
struct MemoryTests {
    @Test func readsSpanAdjacentRunsButNotGaps() {
        let memory = SavedMemory([PageRun(address: 0x2000, bytes: [5, 6]), PageRun(address: 0x1000, bytes: [1, 2, 3]),
                                  PageRun(address: 0x1003, bytes: [4])])
        #expect(memory.read(0x1001, 3) == [2, 3, 4])
        #expect(memory.read(0x1000, 4) == [1, 2, 3, 4])
        #expect(memory.read(0x1002, 4) == nil)  // 0x1004 is not saved
        #expect(memory.read(0x2001, 1) == [6])
        #expect(memory.read(0xfff, 2) == nil)
        #expect(memory.read(UInt64.max - 1, 8) == nil)
        #expect(memory.read(0x1000, 0) == [])
        #expect(memory.byteCount == 6)
    }

    @Test func overlappingRunsAreStillFound() {
        let memory = SavedMemory([PageRun(address: 0x1000, bytes: [UInt8](repeating: 7, count: 0x100)),
                                  PageRun(address: 0x1010, bytes: [1])])
        #expect(memory.read(0x1080, 2) == [7, 7])
    }

    @Test func savedPagesAreCountedPerMapping() {
        let section = MemoryUsage.section(Fixture.bundle())
        let byPath = Dictionary(section.mappings.map { ($0.mapping.path + $0.mapping.permissions, $0) }, uniquingKeysWith: { a, _ in a })
        let text = byPath[Fixture.program + "r-xp"]
        #expect(text?.savedBytes == 4096 + 100 && text?.savedPages == 2 && text?.pages == 2)
        #expect(byPath[Fixture.program + "rw-p"]?.savedPages == 0)
        #expect(byPath["[stack]rw-p"]?.savedPages == 2 && byPath["[stack]rw-p"]?.pages == 33)
        #expect(section.savedPages == 4)
        #expect(section.crashStackBytes == 80)
    }

    @Test func aMappingThatEndsBeforeItStartsCountsNothing() {
        let odd = MemoryMapping(start: 0x5000, end: 0x1000, permissions: "rw-p", offset: 0, path: "")
        let usage = MemoryUsage.usage(of: odd, [PageRun(address: 0x1000, bytes: [1])])
        #expect(usage.pages == 0 && usage.savedPages == 0 && usage.savedBytes == 0)
        let top = MemoryUsage.usage(of: MemoryMapping(start: UInt64.max - 0xfff, end: UInt64.max, permissions: "r--p", offset: 0, path: ""),
                                    [PageRun(address: UInt64.max - 0xff, bytes: [UInt8](repeating: 0, count: 0x200))])
        #expect(top.savedBytes == 0xff)
    }
}
