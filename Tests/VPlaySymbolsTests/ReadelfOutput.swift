// Parsers for the binutils output the tests compare against.

import Foundation
import VPlayTestSupport

enum Readelf {
    /// `readelf -n`: the hex after "Build ID:".
    static func buildID(_ path: String) throws -> String? {
        let text = try runTool([try requireTool("readelf"), "-n", path])
        for line in text.split(separator: "\n") {
            if let range = line.range(of: "Build ID: ") { return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    struct Section: Equatable {
        var name: String
        var address: UInt64
        var offset: UInt64
        var size: UInt64
    }

    /// `readelf -SW`: name, address, offset and size of every section but the null one.
    static func sections(_ path: String) throws -> [Section] {
        let text = try runTool([try requireTool("readelf"), "-SW", path])
        var result: [Section] = []
        for line in text.split(separator: "\n") {
            guard let close = line.firstIndex(of: "]"), line.contains("["), !line.contains("Nr]") else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ")
            guard fields.count >= 5, fields[0] != "NULL", fields[1] != "NULL" else { continue }
            guard let address = UInt64(fields[2], radix: 16), let offset = UInt64(fields[3], radix: 16),
                  let size = UInt64(fields[4], radix: 16) else { continue }
            result.append(Section(name: String(fields[0]), address: address, offset: offset, size: size))
        }
        return result
    }

    /// `nm --defined-only` (with `-D` for the dynamic table): name -> address, versions dropped.
    static func symbolAddresses(_ path: String, dynamic: Bool) throws -> [String: UInt64] {
        let text = try runTool([try requireTool("nm"), "--defined-only"] + (dynamic ? ["-D"] : []) + [path])
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let address = UInt64(fields[0], radix: 16) else { continue }
            let name = fields[2].split(separator: "@").first.map(String.init) ?? String(fields[2])
            result[name] = address
        }
        return result
    }

    /// One FDE of `readelf -wF` (--debug-dump=frames-interp): its range and its rows, each a
    /// location and column name -> rule as readelf prints it ("rsp+16", "c-8", "u", "exp").
    struct FrameTable {
        var pcRange: Range<UInt64>
        var rows: [(location: UInt64, columns: [String: String])] = []
    }

    static func frameTables(_ path: String) throws -> [FrameTable] {
        // readelf 2.40 exits 1 after printing libc's complete tables (without saying why).
        let text = try runTool([try requireTool("readelf"), "-wF", path], allowFailure: true)
        var tables: [FrameTable] = []
        var columns: [String] = []
        var inFDE = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let pc = line.range(of: " FDE cie=").flatMap({ _ in line.range(of: "pc=") }) {
                let bounds = line[pc.upperBound...].components(separatedBy: "..")
                guard bounds.count == 2, let lo = UInt64(bounds[0], radix: 16), let hi = UInt64(bounds[1], radix: 16) else { continue }
                tables.append(FrameTable(pcRange: lo..<hi))
                inFDE = true
            } else if line.contains(" CIE ") || line.isEmpty {
                if line.contains(" CIE ") { inFDE = false }
            } else if line.hasPrefix("   LOC") {
                columns = line.split(separator: " ").dropFirst().map(String.init)
            } else if inFDE, let row = frameRow(line, columns), !tables.isEmpty {
                tables[tables.count - 1].rows.append(row)
            }
        }
        return tables
    }

    /// A row: location, CFA, then one rule per column, separated by spaces; a register rule
    /// prints as "r9 (r9)", whose second word joins the first.
    private static func frameRow(_ line: String, _ columns: [String]) -> (UInt64, [String: String])? {
        var tokens: [String] = []
        for word in line.split(separator: " ") {
            if word.hasPrefix("("), let last = tokens.popLast() { tokens.append(last + " " + word) } else { tokens.append(String(word)) }
        }
        guard tokens.count == columns.count + 1, tokens[0].count == 16, let location = UInt64(tokens[0], radix: 16) else { return nil }
        return (location, Dictionary(uniqueKeysWithValues: zip(columns, tokens.dropFirst())))
    }
}
