import VPlayBundle
import VPlayKernel

/// Memory the window start's injected calls may use (signal actions, the alternate stack, the
/// shadow's mask): 4 KiB below the stack pointer, dead there, when that is still the same
/// mapping as the stack; otherwise (a thread or child on a small stack of its own) a page mapped
/// for the purpose and unmapped before the program runs on. Below a small stack lies another
/// object, or nothing: writing there would corrupt the program, or fail and leave the window
/// start half done.
struct Scratch {
    let address: UInt64
    /// The page mapped for the purpose, if any.
    let page: UInt64?

    init(_ caller: RemoteCaller, mappings: [MemoryMapping]) throws {
        let rsp = caller.original.rsp
        let below = (rsp &- 4096) & ~0xf
        if rsp > 4096, mappings.contains(where: { $0.writable && $0.start <= below && rsp <= $0.end }) {
            (address, page) = (below, nil)
            return
        }
        let r = try caller.call(SyscallNumber.mmap, [0, 4096, 3, 0x22, UInt64(bitPattern: -1), 0])  // PRIVATE|ANONYMOUS
        guard r > 0 else {  // an error is -errno
            throw KernelError("mmap of a scratch page for the window start", pid: caller.tracee.tid,
                              errno: Int32(truncatingIfNeeded: -r))
        }
        (address, page) = (UInt64(r), UInt64(r))
    }

    /// Unmaps the page mapped for the purpose (a shadow cloned meanwhile keeps its copy).
    func release(_ caller: RemoteCaller) throws {
        guard let page else { return }
        try caller.call(SyscallNumber.munmap, [page, 4096])
    }
}
