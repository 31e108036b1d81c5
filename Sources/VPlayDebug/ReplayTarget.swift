import Glibc
import VPlayBundle
import VPlayGDB

/// The replay as gdb's target. It lives on the gdb server's thread and forwards everything
/// that touches the replayed process to the tracer thread through the channel.
final class ReplayTarget: GDBTarget {
    let channel: DebugChannel
    let session: DebugSession
    let objects: BundleObjects

    init(channel: DebugChannel, session: DebugSession, bundle: Bundle) {
        self.channel = channel
        self.session = session
        self.objects = BundleObjects(bundle: bundle)
    }

    var capabilities: GDBTargetCapabilities { [.reverseContinue, .reverseStep] }

    var currentStop: GDBStopEvent {
        (try? channel.call { [session] in session.current }) ?? GDBStopEvent(thread: nil, reason: .signal(SIGTRAP))
    }

    func threads() throws -> [GDBThreadID] { try channel.call { [session] in session.threadIDs() } }

    func readRegisters(thread: GDBThreadID) throws -> AMD64Registers {
        try channel.call { [session] in try session.registers(of: thread) }
    }

    func writeRegisters(_ registers: AMD64Registers, thread: GDBThreadID) throws {
        throw GDBTargetError.failed("a replay's registers are the recording's; they cannot be changed", errno: EPERM)
    }

    func readMemory(at address: UInt64, count: Int) throws -> [UInt8] {
        try channel.call { [session] in try session.read(address, count: count) }
    }

    func writeMemory(at address: UInt64, bytes: [UInt8]) throws {
        throw GDBTargetError.failed("a replay's memory is the recording's; it cannot be changed", errno: EPERM)
    }

    func insertBreakpoint(_ breakpoint: GDBBreakpoint) throws {
        try channel.call { [session] in try session.insert(breakpoint) }
    }

    func removeBreakpoint(_ breakpoint: GDBBreakpoint) throws {
        try channel.call { [session] in try session.remove(breakpoint) }
    }

    func resume(_ request: GDBResumeRequest) throws -> GDBStopEvent { channel.resume(request) }

    var interruptHandler: @Sendable () -> Void { { [channel] in channel.interrupt() } }

    func executablePath() throws -> String { objects.executablePath }

    func libraries() throws -> GDBLibraryList { objects.libraries }

    func auxiliaryVector() throws -> [UInt8] {
        guard let auxv = objects.bundle.state.auxv else { throw GDBTargetError.unsupported("no auxv in this bundle") }
        return auxv
    }

    var files: GDBFileProvider { objects.files }

    func kill() throws { channel.post(.end) }

    func detach() throws { channel.post(.end) }
}
