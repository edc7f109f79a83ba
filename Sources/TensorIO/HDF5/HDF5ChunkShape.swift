/// The chunk shape for a compressed dataset: the whole array if it is at most 1 MiB, else
/// the array with its largest dimensions halved until a chunk is (h5py aims at the same
/// size). Each chunk is compressed on its own and read whole, so chunks of about a megabyte
/// compress well and keep a partial read cheap; HDF5 also caps a chunk at 4 GiB.
enum HDF5ChunkShape {
    static let targetBytes = 1 << 20

    /// Nil when the dataset cannot be chunked: a scalar or one with no elements (HDF5 needs
    /// every chunk dimension to be at least 1 and no larger than the dataset's).
    static func chunks(for shape: [Int], elementSize: Int) -> [Int]? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else { return nil }
        var chunk = shape
        func bytes() -> Int {
            chunk.reduce(elementSize) { $0.multipliedReportingOverflow(by: $1).partialValue }
        }
        while bytes() > targetBytes, let largest = chunk.indices.max(by: { chunk[$0] < chunk[$1] }), chunk[largest] > 1 {
            chunk[largest] = (chunk[largest] + 1) / 2
        }
        return chunk
    }
}
