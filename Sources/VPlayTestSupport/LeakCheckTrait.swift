// `.leakChecked`: the trait that runs the leak check around every test of a suite. It gives the
// test a LeakLedger (the process runners register their spawns in it), and when the test has
// ended, it sweeps for anything still tied to those spawns. Leaks — found when a spawn ended or
// in the final sweep — fail the test, naming each process; they have been killed by then, so
// nothing is left behind either way.

import Testing

public struct LeakCheckTrait: TestTrait, SuiteTrait, TestScoping {
    public init() {}

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        // A suite's own scope: its tests get their ledgers (isRecursive).
        guard !test.isSuite else { return try await function() }
        let ledger = LeakLedger(name: test.name)
        try await LeakLedger.$current.withValue(ledger) {
            try await function()
        }
        ledger.sweep()
        let leaks = ledger.leaks
        if !leaks.isEmpty {
            throw ProcessLeak(test: test.name, leaks: leaks)
        }
    }
}

extension Trait where Self == LeakCheckTrait {
    /// No process the test started may outlive it (see LeakLedger).
    public static var leakChecked: Self { LeakCheckTrait() }
}

/// The error a test with leaks fails with.
public struct ProcessLeak: Error, CustomStringConvertible {
    public let test: String
    public let leaks: [LeakedProcess]
    public init(test: String, leaks: [LeakedProcess]) {
        self.test = test
        self.leaks = leaks
    }
    public var description: String {
        "\(leaks.count) process(es) started by \(test) outlived what started them (killed now):\n- "
            + leaks.map(\.description).joined(separator: "\n- ")
    }
}
