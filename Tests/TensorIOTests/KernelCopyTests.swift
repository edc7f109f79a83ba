import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

/// Tensors borrowed from a mapped input are copied to the output by the kernel
/// (`copy_file_range`); the bytes, the checksum the writer observes and the write position
/// must be exactly those of writing the same bytes from memory.
@Suite("Kernel copies of borrowed tensor bytes")
struct KernelCopyTests {
    /// An input file of `count` bytes that differ from their neighbours and repeat nowhere
    /// near (a multiplicative hash of the position).
    static func input(in directory: TestDirectory, count: Int) throws -> (path: String, bytes: [UInt8]) {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let path = directory.file("input.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test("A borrowed range written after a header lands byte for byte, with the same CRC and position, copied in the kernel or from memory",
          arguments: [true, false])
    func borrowedRangeIsCopiedExactly(inKernel: Bool) throws {
        let directory = TestDirectory()
        // Over the release threshold and not a multiple of a slice or a page, at an odd offset.
        let (path, bytes) = try Self.input(in: directory, count: TensorBytesReader.releaseThreshold + 3 * TensorBytes.sliceBytes / 2 + 1_234)
        let range = 77..<(bytes.count - 5)
        let mapped = try MappedFile(path: path)
        let borrowed = try mapped.borrow(range)
        let header: [UInt8] = [1, 2, 3]

        let output = try OutputFile(path: directory.file("out.bin"), copiesInKernel: inKernel)
        try output.write(header)
        var crc: UInt32 = 0
        let written = try output.write(borrowed) { crc = CRC32.update(crc, $0) }
        #expect(written == range.count)
        #expect(output.position == header.count + range.count)
        try output.write(header)
        try output.close()

        let expected = header + Array(bytes[range]) + header
        let actual = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.file("out.bin"))))
        #expect(actual == expected)
        #expect(crc == CRC32.checksum(Array(bytes[range])))
    }

    @Test("A borrowed range written at a place inside an existing file lands there, and nothing around it changes, copied in the kernel or from memory",
          arguments: [true, false])
    func borrowedRangeLandsWhereSought(inKernel: Bool) throws {
        let directory = TestDirectory()
        let (path, bytes) = try Self.input(in: directory, count: 3 * TensorBytes.sliceBytes + 4_321)
        let range = 11..<(bytes.count - 3)
        let borrowed = try MappedFile(path: path).borrow(range)
        // A file someone else has created: zeros, with room before and after the place.
        let existing = [UInt8](repeating: 0xA5, count: range.count + 9_000)
        try Data(existing).write(to: URL(fileURLWithPath: directory.file("out.bin")))

        let output = inKernel ? try OutputFile(reopening: directory.file("out.bin")) : try OutputFile(path: directory.file("fresh.bin"), copiesInKernel: false)
        if !inKernel { try output.write(existing) }
        output.seek(to: 4_097)
        #expect(try output.write(borrowed) == range.count)
        #expect(output.position == 4_097 + range.count)
        try output.close()

        var expected = existing
        expected.replaceSubrange(4_097..<(4_097 + range.count), with: bytes[range])
        let actual = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.file(inKernel ? "out.bin" : "fresh.bin"))))
        #expect(actual == expected)
    }
}
