import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

/// The npz fast paths: stored members read in place from the mapped file with their CRC
/// checked by Tubelet's own CRC-32, and stored archives written without libzip.
@Suite("npz fast paths: CRC-32, in-place reads, the stored zip writer")
struct ZipFastPathTests {
    /// Bit-by-bit CRC-32 (reflected 0xEDB88320), the definition the fast one must match.
    static func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test("CRC-32 of the check string is 0xCBF43926")
    func checkValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xcbf4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test("CRC-32 equals the bitwise definition at every length and alignment, in one call or in pieces")
    func crcMatchesDefinition() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in Array(0..<300) + [1023, 1024, 1025, 4095, 4999] {
            for start in 0..<3 where start + length <= data.count {
                let slice = Array(data[start..<(start + length)])
                let expected = Self.referenceCRC(slice)
                #expect(CRC32.checksum(slice) == expected, "length \(length) at \(start)")
                let cut = length / 3
                let pieces = slice.withUnsafeBytes { bytes in
                    CRC32.update(CRC32.update(0, UnsafeRawBufferPointer(rebasing: bytes[..<cut])), UnsafeRawBufferPointer(rebasing: bytes[cut...]))
                }
                #expect(pieces == expected, "length \(length) in two pieces")
            }
        }
    }

    @Test("CRC-32 of a buffer large enough to be split over two cores equals the one-pass CRC")
    func crcOfLargeBuffer() {
        var generator = SystemRandomNumberGenerator()
        for count in [CRC32.parallelThreshold, CRC32.parallelThreshold + 12_345] {
            let data = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let split = data.withUnsafeBytes { CRC32.checksum($0) }
            let onePass = data.withUnsafeBytes { CRC32.update(0, $0) }
            #expect(split == onePass, "\(count) bytes")
        }
    }

    /// Tensors big enough to cross pages, so in-place reads and page release are exercised.
    static func source() throws -> InMemorySource {
        let source = InMemorySource(metadata: ["note": "fast path"])
        for (index, count) in [1, 3, 1000, 70_000, 5].enumerated() {
            try source.add("layer\(index)/kernel", Tensor(float32: (0..<count).map { Float($0 * (index + 1)) / 7 }, shape: [count]))
        }
        try source.add("names/ünïcode", Tensor(float32: [1, 2], shape: [2]))
        return source
    }

    @Test("Stored archives read back bit for bit, in place, with and without zip64 records", arguments: [false, true])
    func storedRoundTrip(zip64: Bool) throws {
        let directory = TestDirectory()
        let source = try Self.source()
        var options = WriteOptions()
        options.alwaysZip64 = zip64
        try Checkpoint.write(source, to: directory.file("out.npz"), options: options)
        // The direct parse finds every member, stored and inside the file, where libzip does.
        let file = try MappedFile(path: directory.file("out.npz"))
        let archive = try ZipArchiveReader(path: directory.file("out.npz"))
        let parsed = try #require(ZipDirectory(file.bytes))
        #expect(parsed.members.count == archive.entries.count)
        for (member, entry) in zip(parsed.members, archive.entries) {
            let member = try #require(member)
            #expect(member.name == entry.name && member.size == entry.size && member.method == 0)
            #expect(member.isStoredInside(fileSize: file.bytes.count))
        }
        let back = try Checkpoint.open(directory.file("out.npz"))
        #expect(back.tensors == source.tensors)
        #expect(back.metadata == source.metadata)
        for info in source.tensors {
            #expect(try back.read(info.name).bytes.array == source.read(info.name).bytes.array, "\(info.name)")
            #expect(try back.read(info.name).bytes.array == source.read(info.name).bytes.array, "\(info.name), read again")
        }
    }

    @Test("Aligned members (torch's FB padding) start their data on 64-byte boundaries, with and without zip64 records",
          arguments: [false, true])
    func alignedMembers(zip64: Bool) throws {
        let directory = TestDirectory()
        let path = directory.file("aligned.zip")
        let contents: [(String, [UInt8])] = [("a/data.pkl", Array(0..<7)), ("a/.format_version", Array("1".utf8)),
                                             ("a/data/0", (0..<300).map { UInt8($0 % 256) }), ("a/longer/name/x", [9])]
        let writer = try StoredZipWriter(path: path, alwaysZip64: zip64)
        for (name, bytes) in contents { try writer.addMember(name: name, parts: [try TensorBytes(bytes)], alignment: 64) }
        try writer.close(comment: [])
        let file = try MappedFile(path: path)
        let parsed = try #require(ZipDirectory(file.bytes))
        for (member, (name, bytes)) in zip(parsed.members, contents) {
            let member = try #require(member)
            #expect(member.name == name && member.dataOffset % 64 == 0, "\(name) at \(member.dataOffset)")
            #expect(Array(file.bytes[member.dataOffset..<(member.dataOffset + member.size)]) == bytes, "\(name)")
        }
        // libzip reads the same members (and checks their CRCs).
        let archive = try ZipArchiveReader(path: path)
        #expect(archive.entries.map(\.name) == contents.map(\.0))
    }

    @Test("The CRC of a suffix follows from the CRCs of the whole and of the prefix, at every split")
    func crcOfSuffix() {
        let data = (0..<3000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        for cut in [0, 1, 7, 128, 1500, 2999, 3000] {
            let whole = CRC32.checksum(data)
            let prefix = CRC32.checksum(Array(data[..<cut]))
            #expect(CRC32.suffix(ofWhole: whole, prefix: prefix, suffixCount: data.count - cut) == Self.referenceCRC(Array(data[cut...])), "cut at \(cut)")
        }
    }

    @Test("An npz read in place hands out each tensor's data CRC, and an npz written from it records the CRCs of its members' bytes")
    func knownCRCsCarryOver() throws {
        let directory = TestDirectory()
        let source = try Self.source()
        try Checkpoint.write(source, to: directory.file("in.npz"))
        let input = try Checkpoint.open(directory.file("in.npz"))
        for info in input.tensors {
            let bytes = try input.read(info.name).bytes
            #expect(bytes.knownCRC32 == Self.referenceCRC(bytes.array), "\(info.name)")
        }
        try Checkpoint.write(input, to: directory.file("out.npz"))
        // Every member's recorded CRC is its bytes' (this parse and libzip both check).
        let file = try MappedFile(path: directory.file("out.npz"))
        let parsed = try #require(ZipDirectory(file.bytes))
        for member in parsed.members {
            let member = try #require(member)
            let bytes = Array(file.bytes[member.dataOffset..<(member.dataOffset + member.size)])
            #expect(member.crc32 == Self.referenceCRC(bytes), "\(member.name)")
        }
        let back = try Checkpoint.open(directory.file("out.npz"))
        for info in source.tensors {
            #expect(try back.read(info.name).bytes.array == source.read(info.name).bytes.array, "\(info.name)")
        }
    }

    @Test("A flipped data byte in a stored member is a CRC error naming the tensor")
    func crcMismatch() throws {
        let directory = TestDirectory()
        try Checkpoint.write(try Self.source(), to: directory.file("out.npz"))
        var bytes = try #require(FileManager.default.contents(atPath: directory.file("out.npz")))
        let archive = try #require(bytes.withUnsafeBytes { ZipDirectory($0) })
        let member = try #require(archive.members.compactMap { $0 }.first { $0.name == "layer3/kernel.npy" })
        bytes[member.dataOffset + member.size - 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: directory.file("bad.npz")))
        let source = try Checkpoint.open(directory.file("bad.npz"))
        #expect(try source.read("layer2/kernel").elementCount == 1000)
        do {
            _ = try source.read("layer3/kernel")
            Issue.record("a corrupt member was read")
        } catch {
            #expect(error.kind == .malformed && error.tensor == "layer3/kernel")
            #expect(error.reason.contains("CRC error"))
        }
    }

    @Test("Directory records that point outside the file are not used")
    func refusesOutOfBounds() {
        for bytes: [UInt8] in [
            [],
            [0x50, 0x4b, 0x05, 0x06] + [UInt8](repeating: 0, count: 17),  // one byte short
            // An end record claiming one member whose directory starts past the end.
            [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0, 46, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0],
            // A zip64 end record with its locator pointing past the end.
            [0x50, 0x4b, 0x06, 0x07, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0,
             0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0],
        ] {
            #expect(bytes.withUnsafeBytes { ZipDirectory($0) } == nil)
        }
    }
}
