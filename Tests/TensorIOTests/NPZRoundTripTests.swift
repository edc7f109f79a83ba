import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

@Suite("npz and npy written and read back")
struct NPZRoundTripTests {
    /// One tensor of every dtype, with bytes that make any reordering or truncation visible.
    static func everyDType() throws -> InMemorySource {
        let source = InMemorySource(metadata: ["origin": "unit test", "note": "ünïcode"])
        for (index, dtype) in DType.allCases.enumerated() {
            let shape = [2, 3]
            let count = Shape.byteCount(shape, dtype) ?? 0
            let bytes = try TensorBytes((0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + index) & (dtype == .bool ? 1 : 0xff) })
            try source.add("group/\(dtype.rawValue)", Tensor(dtype: dtype, shape: shape, bytes: bytes))
        }
        try source.add("scalar", Tensor(float32: [3.5], shape: []))
        try source.add("empty", Tensor(float32: [], shape: [0, 4]))
        return source
    }

    @Test("Every dtype survives npz, stored and deflated, bit for bit", arguments: [
        WriteOptions.Compression.stored, .deflate(level: 6),
    ])
    func roundTrip(compression: WriteOptions.Compression) throws {
        let directory = TestDirectory()
        let source = try Self.everyDType()
        try Checkpoint.write(source, to: directory.file("out.npz"), options: WriteOptions(compression: compression))
        let back = try Checkpoint.open(directory.file("out.npz"))
        #expect(back.format == .npz)
        #expect(back.tensors == source.tensors)
        #expect(back.metadata == source.metadata)
        for info in source.tensors {
            #expect(try back.read(info.name).bytes.array == source.read(info.name).bytes.array, "\(info.name)")
        }
        #expect(directory.contents == ["out.npz"])
    }

    @Test("The same tensors give the same npz bytes")
    func reproducible() throws {
        let directory = TestDirectory()
        try Checkpoint.write(try Self.everyDType(), to: directory.file("a.npz"))
        try Checkpoint.write(try Self.everyDType(), to: directory.file("b.npz"))
        #expect(FileManager.default.contents(atPath: directory.file("a.npz")) == FileManager.default.contents(atPath: directory.file("b.npz")))
    }

    @Test("An empty checkpoint is an empty zip, still readable")
    func empty() throws {
        let directory = TestDirectory()
        try Checkpoint.write(InMemorySource(), to: directory.file("empty.npz"))
        let back = try Checkpoint.open(directory.file("empty.npz"))
        #expect(back.tensors.isEmpty)
    }

    @Test("A single tensor round-trips through .npy, and the file is named after it")
    func npy() throws {
        let directory = TestDirectory()
        let source = InMemorySource()
        try source.add("weights", Tensor(float32: [1, 2, 3, 4, 5, 6], shape: [3, 2]))
        try Checkpoint.write(source, to: directory.file("pos_embedding.npy"))
        let back = try Checkpoint.open(directory.file("pos_embedding.npy"))
        #expect(back.tensors == [TensorInfo(name: "pos_embedding", dtype: .float32, shape: [3, 2])])
        #expect(try back.read("pos_embedding").doubleValues == [1, 2, 3, 4, 5, 6])
    }

    @Test("Big-endian Fortran-order data is converted to little-endian C order")
    func bigEndianFortran() throws {
        let directory = TestDirectory()
        // np.asfortranarray(np.arange(6, dtype='>i2').reshape(2, 3)): column-major, big-endian.
        let text = Array("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }\n".utf8)
        var file = NPYHeader.magic + [1, 0, UInt8(text.count), 0] + text
        for value: UInt16 in [0, 3, 1, 4, 2, 5] { file += [UInt8(value >> 8), UInt8(value & 0xff)] }
        _ = FileManager.default.createFile(atPath: directory.file("x.npy"), contents: Data(file))
        let tensor = try Checkpoint.open(directory.file("x.npy")).read("x")
        #expect(tensor.dtype == .int16 && tensor.shape == [2, 3])
        #expect(tensor.doubleValues == [0, 1, 2, 3, 4, 5])
    }
}

@Suite("Atomic output")
struct AtomicOutputTests {
    @Test("An existing output is kept unless overwriting is asked for")
    func refusesExisting() throws {
        let directory = TestDirectory()
        let target = directory.file("out.npz")
        _ = FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        #expect(throws: CheckpointError.self) { try Checkpoint.write(InMemorySource(), to: target) }
        #expect(FileManager.default.contents(atPath: target) == Data("keep".utf8))
        try Checkpoint.write(InMemorySource(), to: target, overwrite: true)
        #expect(FileManager.default.contents(atPath: target) != Data("keep".utf8))
        #expect(directory.contents == ["out.npz"])
    }

    /// A source whose second tensor cannot be read, to fail a write half way.
    final class FailingSource: TensorSource {
        let path = "failing"
        let format = CheckpointFormat.npz
        let metadata: [String: String] = [:]
        let tensors = [TensorInfo(name: "a", dtype: .float32, shape: [2]), TensorInfo(name: "b", dtype: .float32, shape: [2])]
        func read(_ name: String) throws(CheckpointError) -> Tensor {
            if name == "b" { throw CheckpointError(.malformed, file: path, tensor: name, "broken on purpose") }
            return try Tensor(float32: [1, 2], shape: [2])
        }
    }

    @Test("A failed write leaves neither the target nor a temporary file", arguments: ["out.npz", "out.npy"])
    func failureLeavesNothing(name: String) throws {
        let directory = TestDirectory()
        do {
            try Checkpoint.write(FailingSource(), to: directory.file(name))
            Issue.record("the write succeeded")
        } catch {
            #expect(error.file == "failing" || error.file.hasSuffix(name))
        }
        #expect(directory.contents == [])
    }

    @Test("The failing tensor's own error is what the caller sees")
    func reportsProducerError() throws {
        let directory = TestDirectory()
        #expect(throws: CheckpointError(.malformed, file: "failing", tensor: "b", "broken on purpose")) {
            try Checkpoint.write(FailingSource(), to: directory.file("out.npz"))
        }
    }
}
