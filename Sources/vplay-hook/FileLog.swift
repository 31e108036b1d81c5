import Foundation
import Logging

/// Where the hook and the monitors log: never the container's stdio (docs/architecture.md).
enum RunDirectory {
    static let path = Foundation.ProcessInfo.processInfo.environment["VPLAY_RUN_DIR"] ?? "/run/vplay"
    static var hookLog: String { "\(path)/vplay-hook.log" }
    static func monitorLog(_ id: String) -> String { "\(path)/\(id).log" }
    static func pidFile(_ id: String) -> String { "\(path)/\(id).pid" }
    static func bundleList(_ id: String) -> String { "\(path)/\(id).bundles" }

    static func create() {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
    }
}

/// A swift-log handler appending lines to a file (opened per message: hooks are short-lived
/// and several processes write the same file).
struct FileLogHandler: LogHandler {
    let path: String
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let meta = (metadata.merging(extra ?? [:]) { $1 }).map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        appendLine("\(stamp) \(level) \(label)[\(getpid())]: \(message)\(meta.isEmpty ? "" : " " + meta)\n")
    }

    func log(event: Logging.LogEvent) {
        log(level: event.level, message: event.message, metadata: event.metadata, source: event.source,
            file: event.file, function: event.function, line: event.line)
    }

    func appendLine(_ line: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }
}

func makeLogger(label: String, path: String) -> Logger {
    RunDirectory.create()
    return Logger(label: label) { _ in FileLogHandler(path: path, label: label) }
}
