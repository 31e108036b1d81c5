// Breakpoints and watchpoints of LiveProcessTarget: int3 for software breakpoints, the x86
// debug registers (DR0-3 addresses, DR6 status, DR7 control) for the hardware ones.

import Glibc
import VPlayTestSupport
import VPlayGDB
import VPlayKernel

/// One debug register's use: the breakpoint it serves and the aligned piece it watches.
struct DebugSlot: Equatable {
    var owner: GDBBreakpoint
    var address: UInt64
    var length: Int
}

extension LiveProcessTarget {
    func insertBreakpoint(_ bp: GDBBreakpoint) throws {
        switch bp.kind {
        case .software: try plantInt3(at: bp.address)
        case .hardware: try claimSlots(bp, pieces: [(bp.address, 1)])
        case .writeWatchpoint, .accessWatchpoint: try claimSlots(bp, pieces: alignedPieces(bp.address, bp.length))
        case .readWatchpoint: throw GDBTargetError.unsupported("x86 has no read-only watchpoints")
        }
    }

    func removeBreakpoint(_ bp: GDBBreakpoint) throws {
        switch bp.kind {
        case .software:
            guard let original = softwareBreakpoints.removeValue(forKey: bp.address) else { return }
            try memory.write(bp.address, [original])
        default:
            for i in debugSlots.indices where debugSlots[i]?.owner == bp { debugSlots[i] = nil }
            try applyDebugRegisters()
        }
    }

    private func plantInt3(at address: UInt64) throws {
        guard softwareBreakpoints[address] == nil else { return }
        guard let original = try? memory.read(address, count: 1).first else {
            throw GDBTargetError.memoryUnavailable(address: address, count: 1)
        }
        try memory.write(address, [0xcc])
        softwareBreakpoints[address] = original
    }

    /// Debug registers watch 1, 2, 4 or 8 naturally aligned bytes: cover the range with those.
    private func alignedPieces(_ address: UInt64, _ length: Int) -> [(UInt64, Int)] {
        var pieces: [(UInt64, Int)] = []
        var cursor = address
        let end = address + UInt64(max(length, 1))
        while cursor < end {
            let size: Int = [8, 4, 2, 1].first { cursor % UInt64($0) == 0 && cursor + UInt64($0) <= end } ?? 1
            pieces.append((cursor, size))
            cursor += UInt64(size)
        }
        return pieces
    }

    private func claimSlots(_ bp: GDBBreakpoint, pieces: [(UInt64, Int)]) throws {
        let free = debugSlots.indices.filter { debugSlots[$0] == nil }
        guard free.count >= pieces.count else { throw GDBTargetError.noResources("debug registers for \(bp)") }
        for (slot, piece) in zip(free, pieces) {
            debugSlots[slot] = DebugSlot(owner: bp, address: piece.0, length: piece.1)
        }
        try applyDebugRegisters()
    }

    /// Writes DR0-3 and DR7 from `debugSlots`.
    private func applyDebugRegisters() throws {
        var dr7: UInt64 = 0
        try tracee.setDebugRegister(7, 0)  // disable while addresses change
        for (i, slot) in debugSlots.enumerated() {
            guard let slot else { continue }
            try tracee.setDebugRegister(Int32(i), slot.address)
            dr7 |= 1 << (2 * UInt64(i))  // local enable
            dr7 |= control(slot) << (16 + 4 * UInt64(i))
        }
        try tracee.setDebugRegister(7, dr7)
    }

    /// The RW and LEN bits of one slot (Intel SDM vol. 3, 18.2.4).
    private func control(_ slot: DebugSlot) -> UInt64 {
        let rw: UInt64
        switch slot.owner.kind {
        case .hardware, .software: return 0  // execute, length 1
        case .writeWatchpoint: rw = 0b01
        case .readWatchpoint, .accessWatchpoint: rw = 0b11
        }
        let len: UInt64 = [1: 0b00, 2: 0b01, 8: 0b10, 4: 0b11][slot.length] ?? 0
        return rw | len << 2
    }

    /// The breakpoint or watchpoint DR6 says fired (and DR6 cleared), nil when none did.
    func debugRegisterHit() throws -> GDBStopReason? {
        let dr6 = try tracee.debugRegister(6)
        guard dr6 & 0xf != 0 else { return nil }
        try tracee.setDebugRegister(6, 0)
        guard let index = (0..<4).first(where: { dr6 & (1 << UInt64($0)) != 0 }), let slot = debugSlots[index] else {
            return nil
        }
        switch slot.owner.kind {
        case .hardware, .software: return .hardwareBreakpoint
        case .writeWatchpoint: return .watchpoint(.write, address: slot.owner.address)
        case .readWatchpoint: return .watchpoint(.read, address: slot.owner.address)
        case .accessWatchpoint: return .watchpoint(.access, address: slot.owner.address)
        }
    }
}
