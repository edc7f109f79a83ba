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
}
