import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

extension HDF5Tests {
    @Suite("HDF5 written and read back")
    struct RoundTrip {
        @Test("Every dtype, scalars, empty tensors and metadata survive HDF5 bit for bit, in order", arguments: [
            WriteOptions.Compression.stored, .deflate(level: 1), .deflate(level: 9),
        ])
        func roundTrip(compression: WriteOptions.Compression) throws {
            let directory = TestDirectory()
            let source = try HDF5Tests.everyDType()
            try Checkpoint.write(source, to: directory.file("out.h5"), options: WriteOptions(compression: compression))
            let back = try Checkpoint.open(directory.file("out.h5"))
            #expect(back.format == .hdf5)
            #expect(back.tensors == source.tensors)
            #expect(back.metadata == source.metadata)
            #expect(try HDF5Tests.readAll(back) == HDF5Tests.readAll(source))
            #expect(directory.contents == ["out.h5"])
        }

        @Test("Tensors of many slices, borrowed from a mapped file or computed as they stream, land bit for bit where libhdf5 placed their datasets")
        func largeTensorsLandInPlace() throws {
            let directory = TestDirectory()
            let count = 2 * TensorBytes.sliceBytes + 36  // float32 elements over two slices
            let values = (0..<count / 4).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 2_654_435_761)) }
            let inMemory = InMemorySource()
            try inMemory.add("mapped/kernel", Tensor(float32: values, shape: [count / 4]))
            try Checkpoint.write(inMemory, to: directory.file("input.npz"))
            let mapped = try Checkpoint.open(directory.file("input.npz"))
            let source = InMemorySource()
            try source.add("mapped/kernel", try mapped.read("mapped/kernel"))
            let streamed = TensorBytes(count: count) { () -> TensorBytes.Filler in
                var next = 0
                return { buffer in
                    for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: (next + index) &* 31 >> 3) }
                    next += buffer.count
                }
            }
            try source.add("computed", Tensor(dtype: .float32, shape: [count / 4], bytes: streamed))
            try source.add("scalar", Tensor(float32: [2.5], shape: []))

            try Checkpoint.write(source, to: directory.file("out.h5"))
            let back = try Checkpoint.open(directory.file("out.h5"))
            #expect(back.tensors == source.tensors)
            #expect(try HDF5Tests.readAll(back) == HDF5Tests.readAll(source))
        }

        @Test("gzip makes a compressible file smaller; stored is the default")
        func compressionShrinks() throws {
            let directory = TestDirectory()
            let source = try HDF5Tests.everyDType()
            try Checkpoint.write(source, to: directory.file("stored.h5"))
            try Checkpoint.write(source, to: directory.file("gzip.h5"), options: WriteOptions(compression: .deflate(level: 6)))
            let stored = try #require(FileManager.default.attributesOfItem(atPath: directory.file("stored.h5"))[.size] as? Int)
            let gzip = try #require(FileManager.default.attributesOfItem(atPath: directory.file("gzip.h5"))[.size] as? Int)
            #expect(stored > 1_200_000)
            // The 100 kB metadata value is an attribute, which HDF5 does not compress.
            #expect(gzip < stored / 4)
        }

        @Test("The same tensors give the same HDF5 bytes")
        func reproducible() throws {
            let directory = TestDirectory()
            try Checkpoint.write(try HDF5Tests.everyDType(), to: directory.file("a.h5"))
            try Checkpoint.write(try HDF5Tests.everyDType(), to: directory.file("b.h5"))
            #expect(FileManager.default.contents(atPath: directory.file("a.h5")) == FileManager.default.contents(atPath: directory.file("b.h5")))
        }

        @Test("An empty checkpoint is a valid HDF5 file with no datasets")
        func empty() throws {
            let directory = TestDirectory()
            try Checkpoint.write(InMemorySource(), to: directory.file("empty.h5"))
            let back = try Checkpoint.open(directory.file("empty.h5"))
            #expect(back.tensors.isEmpty)
            #expect(back.metadata.isEmpty)
        }

        @Test("Names HDF5 cannot hold are refused before a file is written", arguments: [
            (["a", "a/b"], "a"), (["x/", "y"], "x/"), (["/x"], "/x"), (["a//b"], "a//b"), (["a/./b"], "a/./b"),
        ])
        func badNames(names: [String], culprit: String) throws {
            let directory = TestDirectory()
            let source = InMemorySource()
            for name in names { try source.add(name, Tensor(float32: [1], shape: [1])) }
            let error = #expect(throws: CheckpointError.self) {
                try Checkpoint.write(source, to: directory.file("out.h5"))
            }
            #expect(error?.kind == .invalidRequest)
            #expect(error?.tensor == culprit)
            #expect(directory.contents == [])
        }

        @Test("A tensor that fails to read mid-write leaves no file")
        func failureMidWrite() throws {
            let directory = TestDirectory()
            let source = FailingSource(failingAfter: 2)
            let error = #expect(throws: CheckpointError.self) {
                try Checkpoint.write(source, to: directory.file("out.h5"))
            }
            #expect(error?.reason.contains("planned failure") == true)
            #expect(directory.contents == [])
        }

        @Test("Chunks are the whole tensor up to 1 MiB, whole trailing rows of at most 1 MiB above, none for scalars and empty tensors")
        func chunkShapes() {
            #expect(HDF5ChunkShape.chunks(for: [16, 16], elementSize: 4) == [16, 16])
            #expect(HDF5ChunkShape.chunks(for: [2, 256, 512], elementSize: 4) == [2, 256, 512])
            #expect(HDF5ChunkShape.chunks(for: [], elementSize: 4) == nil)
            #expect(HDF5ChunkShape.chunks(for: [0, 3], elementSize: 4) == nil)
            // 3 KB rows: at most 341 to a chunk, so 10 chunks, shared evenly.
            #expect(HDF5ChunkShape.chunks(for: [3072, 768], elementSize: 4) == [308, 768])
            #expect(HDF5ChunkShape.chunks(for: [1, 257, 6144], elementSize: 4) == [1, 37, 6144])
            // Outer rows over 1 MiB: one of them, cut along the next axis.
            #expect(HDF5ChunkShape.chunks(for: [2, 600_000], elementSize: 4) == [1, 200_000])
            #expect(HDF5ChunkShape.chunks(for: [4, 3, 512, 512], elementSize: 4) == [1, 1, 512, 512])
            #expect(HDF5ChunkShape.chunks(for: [1 << 30], elementSize: 8) == [1 << 17])
            for shape in [[3072, 768], [1, 257, 6144], [2, 600_000], [7, 3, 5, 9000], [1 << 30]] {
                let chunk = HDF5ChunkShape.chunks(for: shape, elementSize: 4) ?? []
                #expect(chunk.reduce(4, *) <= HDF5ChunkShape.targetBytes, "\(shape)")
                // The slabs the writer and reader use hold whole chunks.
                let slabs = HDF5SlabReader.plan(shape: shape, elementSize: 4, chunk: chunk)
                for slab in slabs {
                    for axis in shape.indices {
                        #expect(slab.start[axis] % chunk[axis] == 0, "\(shape)")
                        #expect(slab.count[axis] % chunk[axis] == 0 || slab.start[axis] + slab.count[axis] == shape[axis], "\(shape)")
                    }
                }
            }
        }

        @Test("Natural order puts vars/2 before vars/10")
        func naturalOrder() {
            let names = ["vars/10", "vars/2", "vars/1", "b", "a10b", "a9b", "a09b", "vars/0"]
            #expect(names.sorted(by: NaturalOrder.precedes) == ["a9b", "a09b", "a10b", "b", "vars/0", "vars/1", "vars/2", "vars/10"])
        }
    }
}

/// A source whose third tensor cannot be read, to interrupt a writer.
final class FailingSource: TensorSource {
    let path = "<failing>"
    let format = CheckpointFormat.npz
    let metadata: [String: String] = [:]
    let tensors: [TensorInfo]
    private let failingAfter: Int

    init(failingAfter: Int) {
        self.failingAfter = failingAfter
        tensors = (0...failingAfter).map { TensorInfo(name: "group/t\($0)", dtype: .float32, shape: [4]) }
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        if name == tensors[failingAfter].name {
            throw CheckpointError(.io, file: path, tensor: name, "planned failure")
        }
        return try Tensor(float32: [1, 2, 3, 4], shape: [4])
    }
}
