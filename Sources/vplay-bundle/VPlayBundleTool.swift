import ArgumentParser
import Foundation
import Logging
import VPlayBundle
import VPlayJSON
import VPlayRecord
import VPlayReplay

/// Exit statuses: 0 success / reproduced, 1 not reproduced or problems found, 2 bad input.
enum ExitStatus {
    static let notReproduced: Int32 = 1
    static let badInput: Int32 = 2
}

@main
struct VPlayBundleTool {
    static func main() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: Foundation.ProcessInfo.processInfo.environment["VPLAY_LOG"] ?? "") ?? .notice
            return handler
        }
        if CommandLine.arguments.count == 1 {
            FileHandle.standardError.write(Data((Tool.helpMessage() + "\n").utf8))
            Foundation.exit(ExitStatus.badInput)
        }
        do {
            var command = try Tool.parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = Tool.exitCode(for: error)
            if code == .success {
                print(Tool.fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("vplay-bundle: \(Tool.fullMessage(for: error))\n".utf8))
            Foundation.exit(ExitStatus.badInput)
        }
    }
}

struct Tool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vplay-bundle",
        abstract: "Record a process tree and replay the last seconds before it crashed.",
        discussion: "Exit status: 0 success, 1 replay did not reproduce / verification found problems, 2 bad input.",
        version: vplayVersion,
        subcommands: [Record.self, Inspect.self, Verify.self, List.self, Replay.self, Debug.self])
}

/// Prints one line on stderr (a message can quote bundle data holding newlines) and gives exit status 2.
func fail(_ message: String) -> ExitCode {
    let line = message.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("vplay-bundle: \(line)\n".utf8))
    return ExitCode(ExitStatus.badInput)
}

/// Prints a `--json` result: every command's JSON goes through this one writer.
/// (`print`, so it stays in order with other stdout lines such as replay's --echo.)
func printJSON(_ value: JSONValue) {
    print(value.printed, terminator: "")
}

/// Loads a bundle or exits 2 with the reader's message.
func loadBundle(_ path: String) throws -> VPlayBundle.Bundle {
    do {
        return try BundleReader.read(path: path)
    } catch {
        throw fail("\(error)")
    }
}
