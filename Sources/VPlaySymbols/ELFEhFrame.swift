extension ELFFile {
    /// The `.eh_frame_hdr` bytes and address: the section, or the PT_GNU_EH_FRAME segment
    /// when the section headers are gone.
    public func ehFrameHeaderBytes() throws(ELFError) -> LoadedBytes? {
        if let s = section(named: ".eh_frame_hdr"), s.hasFileData {
            return LoadedBytes(address: s.address, bytes: try contents(of: s))
        }
        guard let segment = programHeaders.first(where: { $0.type == ProgramHeader.gnuEHFrame }) else { return nil }
        return LoadedBytes(address: segment.virtualAddress, bytes: try contents(of: segment))
    }

    /// The `.eh_frame` bytes and address: the section, or, without section headers, what
    /// `.eh_frame_hdr` points at, up to the zero terminator or the end of its segment.
    public func ehFrameBytes() throws(ELFError) -> LoadedBytes? {
        if let s = section(named: ".eh_frame"), s.hasFileData {
            return LoadedBytes(address: s.address, bytes: try contents(of: s))
        }
        guard let header = try ehFrameHeaderBytes() else { return nil }
        let address: UInt64
        do {
            address = try EhFrameHeader(bytes: header.bytes, address: header.address).ehFrameAddress
        } catch {
            throw .malformed(what: "eh_frame_hdr: \(error)", offset: fileOffset(ofVirtualAddress: header.address) ?? 0)
        }
        return try ehFrameFromSegment(at: address)
    }

    private func ehFrameFromSegment(at address: UInt64) throws(ELFError) -> LoadedBytes {
        guard let start = fileOffset(ofVirtualAddress: address),
              let segment = loadSegments.first(where: { address >= $0.virtualAddress && address - $0.virtualAddress < $0.fileSize }),
              let segmentEnd = segment.offset.adding(segment.fileSize) else {
            throw .malformed(what: "eh_frame_ptr \(hex(address)) outside the loaded file", offset: 0)
        }
        let available = try reader.slice(start, segmentEnd - start, "eh_frame")
        return LoadedBytes(address: address, bytes: Array(available.prefix(Self.recordsLength(available))))
    }

    /// The length of the records up to and including the zero terminator, or of all the
    /// complete records when there is none.
    private static func recordsLength(_ bytes: [UInt8]) -> Int {
        let r = ByteReader(bytes)
        var offset: UInt64 = 0
        while let length = r.u32(offset) {
            if length == 0 { return Int(offset + 4) }
            var next = offset + 4
            var size = UInt64(length)
            if length == 0xffff_ffff {
                guard let long = r.u64(next) else { break }
                next += 8
                size = long
            }
            guard let end = next.adding(size), end <= r.count else { break }
            offset = end
        }
        return Int(offset)
    }
}
