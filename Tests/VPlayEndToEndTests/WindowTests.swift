// The rolling window: a long, syscall-heavy run keeps only the last one or two windows of log.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// `long_run 20` and `long_run 6` recorded with `--window 2`.
    ///
    /// The recorder rotates every `window` seconds and keeps the last two windows, so at the
    /// crash its log covers between `window` and `2 × window` seconds, whatever the run length.
    /// Bounds asserted:
    /// - `window.duration` of both bundles is in [window, 2 × window + 1 s] (1 s slack for
    ///   rotation latency and bundle start-up).
    /// - The 20 s bundle logs less than half of the calls the run made (two per iteration, the
    ///   iterations it printed); a recorder that kept the whole run would log all of them.
    static func iterations(in output: String) -> Int? {
        guard let r = output.range(of: #"long_run: [0-9]+ iterations"#, options: .regularExpression) else { return nil }
        return Int(output[r].dropFirst("long_run: ".count).prefix { $0.isNumber })
    }

    @Test("long run with --window 2: the log covers 1 to 2 windows", .timeLimit(.minutes(5)))
    func longRunWindow() throws {
        let window = 2.0
        let ws = try Workspace("long_run")
        defer { ws.remove() }

        func run(_ seconds: Int) throws -> ScenarioOutcome {
            try FileManager.default.removeItem(atPath: ws.bundleDirectory)
            try FileManager.default.createDirectory(atPath: ws.bundleDirectory, withIntermediateDirectories: true)
            return try runScenario("long_run", in: ws, arguments: ["\(seconds)"],
                                   status: 128 + SIGSEGV, ending: .signal(SIGSEGV),
                                   options: ["--window", "2"], window: window,
                                   nativeRun: false, recordTimeout: Double(seconds) + 60, replayTimeout: 90)
        }
        let short = try run(6)
        let long = try run(20)

        let m6 = try #require(short.manifests.first), m20 = try #require(long.manifests.first)
        for (label, m) in [("6 s", m6), ("20 s", m20)] {
            let duration = try #require(m["window.duration"]?.double, "\(label): window.duration missing: \(m.brief)")
            #expect(duration >= window, "\(label): the log must cover at least one window (\(duration) s)")
            #expect(duration <= 2 * window + 1.0, "\(label): the log must cover at most two windows (\(duration) s)")
        }
        let s6 = try #require(m6["log.syscalls"]?.int), s20 = try #require(m20["log.syscalls"]?.int)
        print("long_run --window 2: 6 s run → \(m6.brief); 20 s run → \(m20.brief)")
        #expect(s6 > 0 && s20 > 0)
        // The 20 s run made two calls per iteration; a log bounded to two 2 s windows holds at
        // most about a fifth of them (the rate varies with the machine's load, so well below
        // half is asked). A recorder that kept the whole run would hold all of them.
        let iterations = try #require(Self.iterations(in: long.record.stdout), "no iteration count in \(long.record.stdout)")
        #expect(Double(s20) < Double(2 * iterations) / 2,
                "the 20 s bundle logs \(s20) of the run's \(2 * iterations) calls: the window is not bounded")
    }
}

extension EndToEndTests {
    /// A process computing for seconds without one syscall: the recorder interrupts it when a
    /// window falls due, so the bundle's window starts within the last two windows and the
    /// trial replay reruns only that, not the whole computation.
    @Test("seconds of computation without syscalls: windows still rotate (by interrupting the process)")
    func rotationWithoutSyscalls() throws {
        let ws = try Workspace("cpu_bound")
        defer { ws.remove() }
        let outcome = try runScenario("cpu_bound", in: ws, arguments: ["4"], status: 128 + SIGSEGV,
                                      ending: .signal(SIGSEGV), options: ["--window", "1"], window: 1, nativeRun: false)
        let m = try #require(outcome.manifests.first)
        #expect(m["window.startReason"]?.string == "rotation", "the window must start at a rotation, not at exec: \(m.brief)")
        let duration = m["window.duration"]?.double ?? .infinity
        #expect(duration <= 2 + 1, "the log must cover at most two 1 s windows (+1 s slack), covers \(duration) s")
        #expect((m["trial.seconds"]?.double ?? .infinity) < 3 + 1, "the trial replay reruns at most the window: \(m["trial"].map { "\($0)" } ?? "")")
    }
}
