/// The chunk shape for a compressed dataset: whole trailing rows, about 1 MiB.
///
/// A chunk is `k` rows of the outermost axis whose rows fit in ``targetBytes``, by every
/// trailing dimension whole, and 1 along the axes before it: `[3072, 768]` float32 is cut into
/// chunks of 308 rows × 768, `[1, 257, 6144]` into `[1, 37, 6144]`, a tensor of at most 1 MiB is
/// one chunk. `k` is the fewest chunks' even share of the axis, so the last chunk is not a
/// sliver. Chunks of whole rows lie in order in the tensor's bytes, so the writer and the
/// streaming reader go slab by slab along whole rows of chunks (``HDF5SlabReader/plan(shape:elementSize:chunk:)``)
/// and libhdf5 compresses and decompresses every chunk exactly once; chunks of about a megabyte
/// compress well and keep a partial read cheap (h5py aims at the same size); HDF5 caps a chunk
/// at 4 GiB.
enum HDF5ChunkShape {
    static let targetBytes = 1 << 20

    /// Nil when the dataset cannot be chunked: a scalar or one with no elements (HDF5 needs
    /// every chunk dimension to be at least 1 and no larger than the dataset's).
    static func chunks(for shape: [Int], elementSize: Int) -> [Int]? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }),
              let (axis, rowBytes) = HDF5Hyperslabs(shape: shape, elementSize: elementSize, maxBytes: targetBytes).cut else {
            return nil
        }
        let rowsPerChunk = Swift.max(1, Swift.min(shape[axis], targetBytes / rowBytes))
        let chunkCount = (shape[axis] + rowsPerChunk - 1) / rowsPerChunk
        return [Int](repeating: 1, count: axis) + [(shape[axis] + chunkCount - 1) / chunkCount] + Array(shape[(axis + 1)...])
    }
}
