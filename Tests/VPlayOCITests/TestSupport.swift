import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A temp directory for one test; `remove()` it with `defer`.
struct TempDir {
    let path: String

    init() throws {
        var template = Array("/tmp/vplay-oci-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestError("mkdtemp failed: errno \(errno)") }
        path = String(cString: p)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) throws -> String {
        let p = path + "/" + name
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path + "/" + name
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: p).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func jsonObject(atPath path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let dict = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TestError("\(path) is not a JSON object")
    }
    return dict
}

func jsonObject(_ data: Data) throws -> [String: Any] {
    guard let dict = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TestError("not a JSON object: \(String(decoding: data, as: UTF8.self))")
    }
    return dict
}

/// The package root (this file is Tests/VPlayOCITests/TestSupport.swift).
let packageRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The message an error prints (what the hook logs).
func message(_ error: any Error) -> String { "\(error)" }
