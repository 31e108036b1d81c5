import Foundation
import VPlayBundle
import VPlayJSON

/// `inspect --json`: the manifest as the bundle stores it (without the parts table), plus
/// what the report works out: backtraces, registers, decoded syscalls, saved memory per mapping.
public enum ReportJSON {
    public static func render(_ report: CrashReport) throws(ReportError) -> String {
        try value(report).rendered()
    }

    public static func value(_ report: CrashReport) throws(ReportError) -> JSONValue {
        var root = try manifestObject(report.manifest)
        var crash = root["crash"] ?? .object([:])
        for (key, value) in crashAdditions(report.crash) { crash.set(key, value) }
        crash.set("caughtFault", report.caughtFault.map(caughtFault) ?? .null)
        root.set("crash", crash)
        var memory = root["memory"] ?? .object([:])
        memory.set("savedPages", .int(report.memory.savedPages))
        memory.set("crashStackBytes", .int(report.memory.crashStackBytes))
        memory.set("objectBytes", .int(report.memory.objectBytes))
        root.set("memory", memory)
        root.set("bundlePath", .string(report.bundlePath))
        root.set("bundleBytes", .uint(report.bundleBytes))
        root.set("mappings", .array(report.mappings.map(mapping)))
        root.set("recentSyscalls", .array(report.syscalls.lines.map(syscall)))
        root.set("recentSyscallsTotal", .int(report.syscalls.total))
        root.set("backtraces", .array(report.backtraces.map(backtrace)))
        root.set("registers", .array(report.registers.map(registers)))
        root.set("objects", .array(report.objects.map(object)))
        root.set("reportWarnings", .array(report.warnings.map(JSONValue.string)))
        return root
    }

    /// The manifest exactly as `Manifest.jsonData()` writes it, integers kept whole.
    static func manifestObject(_ manifest: Manifest) throws(ReportError) -> JSONValue {
        do {
            let value = try JSONValue.parse(manifest.jsonData())
            guard case .object = value else { throw ReportError.manifestNotEncodable("not a JSON object") }
            return value
        } catch let error as ReportError {
            throw error
        } catch {
            throw .manifestNotEncodable("\(error)")
        }
    }

    static func crashAdditions(_ c: CrashSummary) -> [String: JSONValue] {
        // Absent values are null, so scripts can test crash.signal == null.
        ["signal": .optional(c.signal), "signalName": .optional(c.signalName), "exitCode": .optional(c.exitCode),
         "code": .optional(c.code), "faultAddress": .optional(c.faultAddress),
         "codeName": .optional(c.codeMeaning?.name), "codeMeaning": .optional(c.codeMeaning?.text),
         "faultMapping": c.faultMapping.map { .string($0.path.isEmpty ? "[anonymous]" : $0.path) } ?? .null,
         "pcLocation": location(c.pc), "pcSymbol": .string(c.pc.description)]
    }

    static func caughtFault(_ f: CaughtFault) -> JSONValue {
        .object(["tid": .int(f.tid), "signal": .int(f.signal), "signalName": .string(f.signalName), "code": .int(f.code),
                 "codeName": .optional(f.codeMeaning.name), "codeMeaning": .string(f.codeMeaning.text),
                 "faultAddress": .optional(f.faultAddress),
                 "faultMapping": f.faultMapping.map { .string($0.path.isEmpty ? "[anonymous]" : $0.path) } ?? .null,
                 "pc": .uint(f.pc.address), "pcSymbol": .string(f.pc.description), "pcLocation": location(f.pc),
                 "secondsBeforeEnd": .double(f.secondsBeforeCrash)])
    }

    static func location(_ l: CodeLocation) -> JSONValue {
        .object(["address": .uint(l.address), "symbol": .optional(l.symbol), "offset": .uint(l.offset),
                 "object": .optional(l.object), "description": .string(l.description)])
    }

    static func mapping(_ u: MappingUsage) -> JSONValue {
        let m = u.mapping
        return .object(["start": .uint(m.start), "end": .uint(m.end), "permissions": .string(m.permissions),
                        "offset": .uint(m.offset), "path": .string(m.path), "savedBytes": .uint(u.savedBytes),
                        "savedPages": .int(u.savedPages), "pages": .int(u.pages)])
    }

    static func syscall(_ s: SyscallLine) -> JSONValue {
        .object(["tid": .int(s.tid), "secondsBeforeEnd": .double(s.secondsBeforeCrash), "number": .int(s.number),
                 "name": .string(s.name), "call": .string(s.text)])
    }

    static func backtrace(_ b: ThreadBacktrace) -> JSONValue {
        .object(["tid": .int(b.tid), "crashed": .bool(b.crashed), "complete": .bool(b.complete), "stop": .string(b.stop),
                 "methods": .array(b.methods.map { .string($0.rawValue) }),
                 "frames": .array(b.frames.map(frame))])
    }

    static func frame(_ f: Frame) -> JSONValue {
        .object(["index": .int(f.index), "pc": .uint(f.pc), "method": .string(f.method.rawValue),
                 "symbol": .optional(f.location.symbol), "offset": .uint(f.location.offset),
                 "object": .optional(f.location.object), "description": .string(f.location.description)])
    }

    static func registers(_ t: ThreadRegisters) -> JSONValue {
        var values: [String: JSONValue] = ["tid": .int(t.tid)]
        for (name, value) in RegisterNames.ordered(t.registers) { values[name] = .uint(value) }
        return .object(values)
    }

    static func object(_ o: ObjectSummary) -> JSONValue {
        .object(["path": .string(o.path), "buildID": .optional(o.buildID), "bytes": .int(o.bytes),
                 "symbols": .int(o.symbols), "ehFrame": .bool(o.hasEhFrame),
                 "start": .optional(o.loadedAt?.lowerBound), "end": .optional(o.loadedAt?.upperBound)])
    }
}
