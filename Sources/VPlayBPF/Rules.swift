// The syscall table's out-buffer rules as the BPF side reads them (struct vp_rule).

import CVPlayBPF
import VPlaySyscalls

enum RuleEncoding {
    /// The vp_rule for one number; nil when the table's rule needs more room than vp_rule has
    /// (then the number is left undescribed, and its events are marked).
    static func encode(_ rule: KernelWriteRule) -> vp_rule? {
        var encoded = vp_rule()
        switch rule {
        case .unsupported:
            encoded.flags = UInt32(VP_RULE_UNSUPPORTED)
        case .needsTracer:
            encoded.flags = UInt32(VP_RULE_NEEDS_TRACER)
        case .byCommand(let commands):
            guard (0 ..< 6).contains(commands.commandArg), (0 ..< 6).contains(commands.bufferArg) else { return nil }
            encoded.flags = UInt32(VP_RULE_DESCRIBED | VP_RULE_BY_COMMAND)
            encoded.cmd_arg = UInt8(commands.commandArg)
        case .described(let outs):
            guard outs.map(\.length.regionCount).reduce(0, +) <= Int(VP_MAX_OUTS) else { return nil }
            var encodedOuts: [vp_out] = []
            for out in outs {
                guard let one = encode(out) else { return nil }
                encodedOuts.append(one)
            }
            encoded.flags = UInt32(VP_RULE_DESCRIBED)
            encoded.nouts = UInt32(encodedOuts.count)
            withUnsafeMutableBytes(of: &encoded.outs) { raw in
                let slots = raw.bindMemory(to: vp_out.self)
                for (index, out) in encodedOuts.enumerated() { slots[index] = out }
            }
        }
        return encoded
    }

    /// The commands map's entries of a command-dependent call: each known command's out.
    static func encodeCommands(_ rule: KernelCommandRule) -> [(command: UInt32, out: vp_out)] {
        rule.writes.sorted { $0.key < $1.key }.compactMap { command, size in
            guard size > 0 else { return (command, vp_out()) }   // VP_OUT_NONE
            return encode(KernelOut(arg: rule.bufferArg, length: .fixed(size), condition: .success)).map { (command, $0) }
        }
    }

    static func encodeStop(_ stop: TracerStop?, into rule: inout vp_rule) {
        switch stop {
        case nil: rule.stop = UInt8(VP_STOP_NEVER)
        case .always: rule.stop = UInt8(VP_STOP_ALWAYS)
        case .unlessArgHasBits(let arg, let mask, _):
            rule.stop = UInt8(VP_STOP_UNLESS_BITS)
            rule.stop_arg = UInt8(clamping: arg)
            rule.stop_mask = mask
        }
    }

    private static func encode(_ out: KernelOut) -> vp_out? {
        guard (0 ..< 6).contains(out.arg) else { return nil }
        var encoded = vp_out()
        encoded.arg = UInt8(out.arg)
        switch out.length {
        case .fixed(let size):
            guard let size = UInt32(exactly: size) else { return nil }
            encoded.kind = UInt8(VP_OUT_FIXED.rawValue)
            encoded.size = size
        case .sizeArg(let arg):
            encoded.kind = UInt8(VP_OUT_SIZE_ARG.rawValue)
            encoded.len_arg = UInt8(clamping: arg)
        case .countTimes(let countArg, let elementSize):
            encoded.kind = UInt8(VP_OUT_COUNT_TIMES.rawValue)
            encoded.len_arg = UInt8(clamping: countArg)
            encoded.size = UInt32(clamping: elementSize)
        case .resultBytes(let maxArg):
            encoded.kind = UInt8(VP_OUT_RET_BYTES.rawValue)
            encoded.len_arg = UInt8(clamping: maxArg)
        case .resultCountTimes(let elementSize, let maxArg):
            encoded.kind = UInt8(VP_OUT_RET_COUNT_TIMES.rawValue)
            encoded.len_arg = UInt8(clamping: maxArg)
            encoded.size = UInt32(clamping: elementSize)
        case .lengthAt(let lengthArg, let max):
            encoded.kind = UInt8(VP_OUT_LENGTH_PTR.rawValue)
            encoded.len_arg = UInt8(clamping: lengthArg)
            encoded.size = UInt32(clamping: max)
        }
        guard encoded.kind == UInt8(VP_OUT_FIXED.rawValue) || encoded.len_arg < 6 else { return nil }
        switch out.condition {
        case .success: encoded.when = UInt8(VP_WHEN_SUCCESS.rawValue)
        case .successOrInterrupted: encoded.when = UInt8(VP_WHEN_SUCCESS_OR_EINTR.rawValue)
        case .notEFAULT: encoded.when = UInt8(VP_WHEN_NOT_EFAULT.rawValue)
        case .positive: encoded.when = UInt8(VP_WHEN_POSITIVE.rawValue)
        case .errno(let value):
            encoded.when = UInt8(VP_WHEN_ERRNO.rawValue)
            guard let value = Int32(exactly: value) else { return nil }
            encoded.errno_value = value
        }
        return encoded
    }
}
