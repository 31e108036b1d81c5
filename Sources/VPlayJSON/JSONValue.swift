import Foundation

/// The one way vplay writes JSON: every `--json` output and every generated JSON file is a
/// JSONValue built in code and printed by `rendered()`: pretty, keys sorted, two-space indent,
/// slashes unescaped, absent values as explicit nulls. Integers keep all 64 bits (addresses and
/// registers must not pass through Double), which is why nothing here uses JSONSerialization.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value at `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// Sets `key` in an object; does nothing to other values.
    public mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        members[key] = value
        self = .object(members)
    }

    public static func optional(_ value: UInt64?) -> JSONValue { value.map(JSONValue.uint) ?? .null }
    public static func optional(_ value: Int32?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    public static func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
    public static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
    public static func int(_ value: Int32) -> JSONValue { .int(Int64(value)) }

    /// Parses JSON text (integers kept whole).
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// A Codable value as JSONEncoder writes it (nil members are left out: callers that promise
    /// every key set the absent ones to `.null`).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue.parse(JSONEncoder().encode(value))
    }

    /// A Codable struct as an object with every stored property as a key: those that are nil
    /// (which JSONEncoder leaves out) as null, so the keys a reader tests always exist.
    public init(encodingWithNulls value: some Encodable) throws {
        self = try JSONValue(encoding: value)
        for case let (label?, _) in Mirror(reflecting: value).children where self[label] == nil {
            set(label, .null)
        }
    }

    /// The members of an object; empty for other values.
    public var members: [String: JSONValue] {
        guard case .object(let m) = self else { return [:] }
        return m
    }
}

extension JSONValue: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(UInt64.self) { self = .uint(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

extension JSONValue {
    /// The document as a command prints it: `rendered()` and a newline.
    public var printed: String { rendered() + "\n" }

    /// Pretty-printed, keys sorted, two-space indent, slashes unescaped.
    public func rendered() -> String {
        var out = ""
        write(to: &out, indent: "")
        return out
    }

    private func write(to out: inout String, indent: String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += Self.number(d)
        case .string(let s): out += Self.quoted(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            let inner = indent + "  "
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                item.write(to: &out, indent: inner)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            let inner = indent + "  "
            out += "{\n"
            let keys = members.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += inner + Self.quoted(key) + " : "
                members[key]?.write(to: &out, indent: inner)
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    /// JSON has no NaN or infinity; integral values print without a fraction.
    private static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    /// A JSON string literal for `s`.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
