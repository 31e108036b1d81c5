/// `qXfer:<object>:read:<annex>:<offset>,<length>` objects and their chunked replies.
enum Xfer {
    /// One read request.
    struct Request {
        var object: String
        var annex: String
        var offset: Int
        var length: Int
    }

    /// Parses the part after `qXfer:`; nil when it is not a well-formed read.
    static func parseRead(_ rest: Substring) -> Request? {
        let parts = rest.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "read" else { return nil }
        let range = parts[3].split(separator: ",")
        guard range.count == 2, let offset = Hex.number(range[0]), let length = Hex.number(range[1]),
              offset < UInt64(Int32.max), length < UInt64(Int32.max) else { return nil }
        return Request(object: String(parts[0]), annex: String(parts[2]), offset: Int(offset), length: Int(length))
    }

    /// `m<data>` when more follows, `l<data>` for the last chunk; data escaped, the chunk cut
    /// so the packet stays within `maxPayload`.
    static func reply(_ document: [UInt8], offset: Int, length: Int, maxPayload: Int) -> [UInt8] {
        guard offset < document.count else { return [UInt8(ascii: "l")] }
        let wanted = document[offset..<min(document.count, offset + length)]
        let (escaped, consumed) = PacketCodec.escapeBinary(wanted, limit: max(1, maxPayload - 1))
        let last = offset + consumed >= document.count
        return [UInt8(ascii: last ? "l" : "m")] + escaped
    }

    /// The `library-list-svr4` document for a library list.
    static func librariesSVR4(_ list: GDBLibraryList) -> String {
        var xml = "<library-list-svr4 version=\"1.0\""
        if let main = list.mainLinkMap { xml += " main-lm=\"0x\(String(main, radix: 16))\"" }
        xml += ">"
        for lib in list.libraries {
            xml += "<library name=\"\(escapeXML(lib.path))\" lm=\"0x\(String(lib.linkMap, radix: 16))\""
                + " l_addr=\"0x\(String(lib.loadBias, radix: 16))\" l_ld=\"0x\(String(lib.dynamicSection, radix: 16))\""
                + " lmid=\"0x0\"/>"
        }
        return xml + "</library-list-svr4>"
    }

    static func escapeXML(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
