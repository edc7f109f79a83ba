import Testing
import TubeletTestSupport
@testable import TensorIO

extension HDF5Tests {
    /// Large datasets are read a hyperslab at a time and give the bytes a whole read gives.
    @Suite("HDF5 datasets read in hyperslabs")
    struct Streaming {
        /// A float32 matrix with distinct values, large enough to span several slices.
        static func matrix(rows: Int, columns: Int) throws -> Tensor {
            try Tensor(float32: (0..<(rows * columns)).map { Float($0) }, shape: [rows, columns])
        }

        /// How a test opens the file: from disk (contiguous data is then borrowed from the
        /// mapped file), or as an in-memory image (nothing to map: the hyperslab reader).
        enum Opening: CaseIterable { case file, image }

        @Test("Contiguous and gzip-chunked datasets over a slice stream the bytes a whole read gives, pass after pass; contiguous data in a file on disk is read in place",
              arguments: [WriteOptions.Compression.stored, .deflate(level: 1)], Opening.allCases)
        func streamedEqualsWhole(compression: WriteOptions.Compression, opening: Opening) throws {
            let directory = TestDirectory()
            let path = directory.file("large.h5")
            // 18 MB and 5.2 MB: slices end inside rows; the cube is cut along its outer axis.
            let matrix = try Self.matrix(rows: 3000, columns: 1501)
            let cube = try Self.matrix(rows: 3 * 700, columns: 625).reshaped([3, 700, 625])
            let source = InMemorySource()
            try source.add("matrix", matrix)
            try source.add("cube", cube)
            try Checkpoint.write(source, to: path, options: WriteOptions(compression: compression))

            let opened: HDF5Source
            switch opening {
            case .file:
                opened = try #require(try Checkpoint.open(path) as? HDF5Source)
            case .image:
                let image = try MappedFile(path: path)
                opened = try HDF5Source(file: HDF5File(image: image.bytes, name: "large.h5", path: path), format: .hdf5, options: ReadOptions())
            }
            let inPlace = opening == .file && compression == .stored
            for (name, original) in [("matrix", matrix), ("cube", cube)] {
                let tensor = try opened.read(name)
                if case .stored(let storage) = tensor.bytes.representation, inPlace {
                    #expect(storage.fileRange != nil, "\(name) is borrowed from the mapped file")
                } else {
                    #expect(tensor.bytes.isStreamed && !inPlace, "\(name)")
                }
                #expect(tensor.bytes.array == original.bytes.array, "\(name)")
                #expect(try tensor.bytes.materialised().array == original.bytes.array, "\(name), second pass")
            }
            // A pass abandoned half-way leaves nothing open once its reader goes.
            do {
                let reader = try opened.read("matrix").bytes.reader()
                _ = try reader.next(upTo: 1000)
            }
            #expect(HDF5Library.openObjectCount(in: opened.file) == 1)
        }

        @Test("A dataset of at most one slice is read whole")
        func smallIsWhole() throws {
            let directory = TestDirectory()
            let path = directory.file("small.h5")
            let source = InMemorySource()
            try source.add("m", Self.matrix(rows: 1024, columns: 1024))  // exactly 4 MB
            try Checkpoint.write(source, to: path)
            #expect(try !Checkpoint.open(path).read("m").bytes.isStreamed)
        }

        /// The rows of chunks a slab meets along the cut axis.
        static func chunkRows(of slab: HDF5Hyperslabs.Slab, axis: Int, chunk: Int) -> ClosedRange<Int> {
            (slab.start[axis] / chunk)...((slab.start[axis] + slab.count[axis] - 1) / chunk)
        }

        @Test("Chunked datasets are cut on rows of chunks, so no chunk is in two slabs, where a row of chunks fits in a slab",
              arguments: [
                  // (shape, chunk, whether slabs can keep chunks whole): h5py's chunks for a
                  // ViT-22B MLP kernel; Tubelet's own chunks of a ViT-L one; a row of chunks
                  // over 16 MB; chunks across outer rows; not chunked.
                  ([6144, 24576], [96, 384], true), ([4096, 1024], [256, 1024], true),
                  ([2048, 3072], [2048, 256], false), ([5, 1100, 1500], [5, 100, 100], false), ([3000, 1501], nil, true),
              ] as [([Int], [Int]?, Bool)])
        func chunkAlignment(shape: [Int], chunk: [Int]?, whole: Bool) throws {
            let slabs = HDF5SlabReader.plan(shape: shape, elementSize: 4, chunk: chunk)
            let (axis, rowBytes) = try #require(slabs.cut)
            var covered = 0
            var seenChunkRows: [ClosedRange<Int>] = []
            for slab in slabs {
                #expect(slab.byteCount <= HDF5SlabReader.maxSlabBytes)
                covered += slab.byteCount
                if let chunk { seenChunkRows.append(Self.chunkRows(of: slab, axis: axis, chunk: chunk[axis])) }
            }
            #expect(covered == shape.reduce(4, *))
            guard let chunk else {
                #expect(slabs.rowsPerSlab * rowBytes <= TensorBytes.sliceBytes)
                return
            }
            let shared = chunk[..<axis].contains { $0 > 1 }
                || zip(seenChunkRows, seenChunkRows.dropFirst()).contains { $0.upperBound == $1.lowerBound }
            #expect(shared == !whole)
            if !whole {
                // Cut through chunks, in slabs as large as the budget allows.
                #expect(slabs.rowsPerSlab * rowBytes > HDF5SlabReader.maxSlabBytes / 2 || slabs.rowsPerSlab == shape[axis])
            }
        }
    }
}
