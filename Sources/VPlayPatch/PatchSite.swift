/// Why a point cannot take a patched filter (the caller then uses a slower exact mechanism).
public struct PatchRefusal: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where a 5-byte jump into a filter stub goes so that every pass over a point `pc` runs the
/// stub's compare with the state at `pc`, and what the stub must run instead of the bytes the
/// jump overwrites.
///
/// - *At the point* (`start == pc`): the jump covers the instruction at `pc` and, when that one
///   is shorter than 5 bytes, the next ones; the stub compares first, then runs them (`after`).
/// - *Before the point*: when the bytes from `pc` cannot be covered (a branch target among
///   them, too little code), the jump goes on the straight-line instructions that lead to `pc`;
///   the stub runs them (`before`), compares, and jumps back to `pc`.
///
/// Either is safe only if nothing enters the stretch past `start` other than through it: no
/// branch targets inside it (nor `pc` itself, before the point), and each moved instruction can
/// run elsewhere (no call, whose return address would point into the stub; no syscall or rdtsc,
/// whose stops name their pc; no loop/jrcxz, which have no 32-bit form). A thread resuming
/// inside it is the caller's to move out first (`interior`). The caller also names the
/// addresses only the running program knows it may come back to (`resumes`: where
/// asynchronous signals interrupted threads, which a handler may return to by `ret`, as Go's
/// preemption does): up to `guardable` of them may lie inside, at instruction boundaries
/// (`guarded`), for the caller to watch with hardware breakpoints; more refuse the site.
public struct PatchSite: Equatable, Sendable {
    public static let jumpLength = 5
    /// How many instructions back from the point a jump may go.
    static let reachBack = 8

    public let pc: UInt64
    public let start: UInt64
    public let before: [Instruction]
    public let after: [Instruction]
    /// Bytes the jump overwrites from `start` (whole instructions).
    public let patchLength: Int
    public let originalBytes: [UInt8]
    /// Resume points inside `interior`, each an instruction boundary there.
    public private(set) var guarded: [UInt64] = []

    /// Where the stub jumps back to.
    public var resume: UInt64 { after.last?.end ?? pc }
    /// Addresses a thread must not resume at while the patch is in: past `start`, before the
    /// compare's end of the stretch.
    public var interior: Range<UInt64> { (start + 1)..<(after.isEmpty ? pc : resume) }
    /// The program's bytes that do not run in place while the patch is in (the jump's, and the
    /// instructions the stub runs relocated): a breakpoint there would never be hit.
    public var covered: Range<UInt64> { start..<max(resume, start + UInt64(patchLength)) }

    /// Picks a site in `function`, a linear decoding of the whole function that holds `pc`.
    public init(pc: UInt64, function: [Instruction], resumes: Set<UInt64> = [], guardable: Int = 0) throws(PatchRefusal) {
        guard let index = function.firstIndex(where: { $0.address == pc }) else {
            throw PatchRefusal("0x\(String(pc, radix: 16)) is not an instruction boundary of its function")
        }
        let targets = Self.entries(of: function)
        let atPoint: PatchRefusal
        do {
            var site = try Self.atPoint(function[index...], targets: targets)
            try site.guardResumes(resumes, function: function, limit: guardable)
            self = site
            return
        } catch { atPoint = error }
        do {
            var site = try Self.beforePoint(function[..<index], pc: pc, targets: targets)
            try site.guardResumes(resumes, function: function, limit: guardable)
            self = site
        } catch {
            throw PatchRefusal("at the point: \(atPoint); before it: \(error)")
        }
    }

    private mutating func guardResumes(_ resumes: Set<UInt64>, function: [Instruction], limit: Int) throws(PatchRefusal) {
        let inside = resumes.filter { interior.contains($0) }.sorted()
        let boundaries = Set(function.map(\.address))
        if let odd = inside.first(where: { !boundaries.contains($0) }) {
            throw PatchRefusal("a thread may resume at 0x\(String(odd, radix: 16)), inside an instruction")
        }
        guard inside.count <= limit else {
            throw PatchRefusal("\(inside.count) places where threads may resume lie inside (\(limit) can be watched)")
        }
        guarded = inside
    }

    private init(pc: UInt64, before: [Instruction], after: [Instruction], patched: Int) {
        let all = before + after
        self.pc = pc
        self.start = all[0].address
        self.before = before
        self.after = after
        self.originalBytes = Array(all.prefix(patched).flatMap(\.bytes))
        self.patchLength = originalBytes.count
    }

    private static func atPoint(_ code: ArraySlice<Instruction>, targets: Set<UInt64>) throws(PatchRefusal) -> PatchSite {
        let covered = try cover(Array(code))
        for i in covered.dropFirst() where targets.contains(i.address) {
            throw PatchRefusal("0x\(String(i.address, radix: 16)) is a branch target")
        }
        try movable(covered)
        try noStringInside(covered.dropFirst())
        return PatchSite(pc: covered[0].address, before: [], after: covered, patched: covered.count)
    }

    private static func beforePoint(_ code: ArraySlice<Instruction>, pc: UInt64, targets: Set<UInt64>) throws(PatchRefusal) -> PatchSite {
        if targets.contains(pc) { throw PatchRefusal("the point is a branch target") }
        var before: [Instruction] = []
        for i in code.reversed().prefix(reachBack) {
            if let last = before.first, i.end != last.address { break }
            before.insert(i, at: 0)
            if let covered = try? cover(before) {
                try movable(before)
                try noStringInside(before[...])
                return PatchSite(pc: pc, before: before, after: [], patched: covered.count)
            }
            if targets.contains(i.address) { break }  // entered here: nothing earlier leads only to pc
        }
        throw PatchRefusal("no \(jumpLength) bytes of straight-line code lead to it")
    }

    /// The shortest prefix of `code` that a jump fits in, without gaps.
    private static func cover(_ code: [Instruction]) throws(PatchRefusal) -> [Instruction] {
        var covered: [Instruction] = []
        var length = 0
        for i in code {
            if let last = covered.last, last.end != i.address { break }
            covered.append(i)
            length += i.length
            if length >= jumpLength { return covered }
        }
        throw PatchRefusal("fewer than \(jumpLength) bytes of known code")
    }

    private static func movable(_ code: [Instruction]) throws(PatchRefusal) {
        for i in code {
            if let why = immovable(i) {
                throw PatchRefusal("the instruction at 0x\(String(i.address, radix: 16)) cannot move into a stub: \(why)")
            }
        }
    }

    /// Addresses of `function` reached other than by falling through: direct branch targets,
    /// returns from calls, what follows an instruction that never falls through (jump tables'
    /// case labels and padding end there), and `endbr64` marks.
    static func entries(of function: [Instruction]) -> Set<UInt64> {
        var out: Set<UInt64> = []
        for i in function {
            if case .jump(let target, _) = i.flow { out.insert(target) }
            if case .call = i.flow { out.insert(i.end) }
            if case .indirect(returns: true) = i.flow { out.insert(i.end) }
            if i.endsFallthrough { out.insert(i.end) }
            if i.isBranchTargetMark { out.insert(i.address) }
        }
        return out
    }

    /// A `rep movs`/`rep stos` past the site's start: a thread can stand part-way through it
    /// (interrupted between iterations), inside the covered bytes, and would have to step out
    /// one iteration at a time.
    private static func noStringInside(_ code: ArraySlice<Instruction>) throws(PatchRefusal) {
        if let i = code.first(where: { $0.repeatedString != nil }) {
            throw PatchRefusal("the string instruction at 0x\(String(i.address, radix: 16)) would lie inside the covered bytes")
        }
    }

    static func immovable(_ i: Instruction) -> String? {
        switch i.flow {
        case .call, .indirect(returns: true): return "a call's return address would point into the stub"
        case .kernel: return "a syscall or interrupt stops with its own pc"
        case .stop: return "it traps"
        case .jump where i.irregularBranch: return "a branch with no 32-bit form or with prefixes"
        case .next, .jump, .indirect(returns: false): break
        }
        if i.readsTimestamp { return "replay traps rdtsc at its own pc" }
        return nil
    }
}
