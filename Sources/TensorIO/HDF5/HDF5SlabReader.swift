internal import CHDF5

/// Reads one dataset front to back a hyperslab at a time, for a tensor streamed in slices
/// (``TensorBytes/init(count:streaming:)``): memory holds the slice being filled and at most
/// one slab, never the dataset, so reading is bounded whatever the dataset's size.
///
/// Contiguous datasets are read in slabs of whole rows of about ``TensorBytes/sliceBytes``.
/// libhdf5 reads a chunk whole whatever part of it is asked for (and keeps only 1 MB of
/// chunks cached), so chunked datasets (gzip- and shuffle-filtered or not) are read in slabs
/// that start on chunk boundaries, a row of chunks or more each: every chunk lies in one slab
/// and is decompressed once. h5py's chunks (at most 1 MB, every axis cut) make rows of chunks
/// of a few MB. Where a row of chunks is larger than ``maxSlabBytes`` (chunks spanning a
/// whole axis of a large matrix, or several outer rows) no slab within the memory budget holds
/// whole chunks: slabs of up to ``maxSlabBytes`` then cut through chunks, and libhdf5
/// decompresses a chunk once for each slab that meets it (slower, never wrong; a chunk cache
/// large enough to avoid it would be as large as the row of chunks).
///
/// The bytes are read as stored (no type conversion by libhdf5) and put in Tubelet's form as
/// ``HDF5Dataset/read(from:)`` puts a whole dataset: big-endian elements swapped, bool bytes
/// made 0 or 1.
final class HDF5SlabReader {
    /// The largest slab held to keep a row of chunks together, or to cut through as few
    /// chunks as possible where that cannot be done.
    static let maxSlabBytes = 16 << 20

    private let file: HDF5File
    private let dataset: HDF5Dataset
    private let opened: Opened
    private let slabs: AnyIterator<HDF5Hyperslabs.Slab>
    private let largestSlab: Int
    /// A slab that did not fit in what was asked for, and the part of it not handed out yet.
    private var staging: PageBuffer?
    private var staged = 0..<0

    /// How a dataset of `shape` is cut into slabs, given its chunk shape (nil: not chunked).
    static func plan(shape: [Int], elementSize: Int, chunk: [Int]?) -> HDF5Hyperslabs {
        var slabs = HDF5Hyperslabs(shape: shape, elementSize: elementSize, maxBytes: TensorBytes.sliceBytes)
        guard let chunk, chunk.count == shape.count, let (axis, rowBytes) = slabs.cut else { return slabs }
        // A chunk dimension is never larger than the dataset's, whose byte size was checked.
        let chunkRows = Swift.min(Swift.max(1, chunk[axis]), shape[axis])
        if chunk[..<axis].allSatisfy({ $0 == 1 }) && chunkRows * rowBytes <= maxSlabBytes {
            slabs.rowAlignment = chunkRows
            return slabs
        }
        return HDF5Hyperslabs(shape: shape, elementSize: elementSize, maxBytes: maxSlabBytes)
    }

    /// Opens `dataset` for a pass over its bytes.
    init(_ dataset: HDF5Dataset, in file: HDF5File) throws(CheckpointError) {
        self.file = file
        self.dataset = dataset
        let path = dataset.path
        func failure(_ doing: String) -> CheckpointError {
            CheckpointError(.malformed, file: file.path, tensor: path,
                HDF5ErrorStack.current().reason("cannot \(doing)"), fix: "The file is corrupt; re-save it")
        }
        opened = try HDF5Library.withLock { () throws(CheckpointError) -> Opened in
            CrashGuard.reading(file.path)
            guard let handle = HDF5ID(H5Dopen2(file.id.raw, "/" + path, chdf5_p_default()), .dataset) else {
                throw failure("open the dataset")
            }
            let slabs = Self.plan(shape: dataset.shape, elementSize: dataset.element.dtype.byteCount,
                                  chunk: try Self.chunkShape(of: handle.raw, rank: dataset.shape.count, failure: failure))
            guard let type = HDF5ID(H5Dget_type(handle.raw), .datatype) else { throw failure("read the dataset's type") }
            guard let space = HDF5ID(H5Dget_space(handle.raw), .dataspace) else { throw failure("read the dataset's shape") }
            return Opened(dataset: handle, type: type, space: space, slabs: slabs)
        }
        slabs = opened.slabs.makeIterator()
        largestSlab = opened.slabs.rowsPerSlab * (opened.slabs.cut?.rowBytes ?? 0)
    }

    /// The open dataset, its stored type, its dataspace (where each slab is selected) and how
    /// it is cut.
    private struct Opened: ~Copyable {
        var dataset: HDF5ID
        var type: HDF5ID
        var space: HDF5ID
        var slabs: HDF5Hyperslabs
    }

    /// The chunk shape of a chunked dataset, nil for any other layout.
    private static func chunkShape(of dataset: hid_t, rank: Int, failure: (String) -> CheckpointError) throws(CheckpointError) -> [Int]? {
        guard let properties = HDF5ID(H5Dget_create_plist(dataset), .propertyList) else {
            throw failure("read the dataset's storage properties")
        }
        guard H5Pget_layout(properties.raw) == H5D_CHUNKED, rank > 0 else { return nil }
        var dimensions = [hsize_t](repeating: 0, count: rank)
        guard H5Pget_chunk(properties.raw, Int32(rank), &dimensions) == rank else {
            throw failure("read the dataset's chunk shape")
        }
        return dimensions.map { Int(clamping: $0) }
    }

    /// Fills `buffer` with the next `buffer.count` bytes of the dataset (a multiple of the
    /// element size).
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        guard let base = buffer.baseAddress else { return }
        var filled = 0
        while filled < buffer.count {
            if !staged.isEmpty, let held = staging?.bytes.baseAddress {
                let count = Swift.min(staged.count, buffer.count - filled)
                (base + filled).copyMemory(from: held + staged.lowerBound, byteCount: count)
                staged = (staged.lowerBound + count)..<staged.upperBound
                filled += count
                continue
            }
            guard let slab = slabs.next() else {
                throw CheckpointError(.malformed, file: file.path, tensor: dataset.path,
                    "the dataset ended \(buffer.count - filled) bytes before its shape says",
                    fix: "The file is corrupt; re-save it or get it again")
            }
            if slab.byteCount <= buffer.count - filled {
                try read(slab, into: base + filled)
                filled += slab.byteCount
            } else {
                if staging == nil { staging = try PageBuffer(count: largestSlab) }
                guard let target = staging?.bytes.baseAddress else { return }
                try read(slab, into: target)
                staged = 0..<slab.byteCount
            }
        }
        if dataset.element.bigEndian {
            ByteOrder.swapElements(buffer, elementSize: dataset.element.dtype.byteCount)
        }
        if dataset.element.isBoolEnum {
            for index in buffer.indices where buffer[index] > 1 { buffer[index] = 1 }
        }
    }

    private func read(_ slab: HDF5Hyperslabs.Slab, into target: UnsafeMutableRawPointer) throws(CheckpointError) {
        try HDF5Library.withLock { () throws(CheckpointError) in
            CrashGuard.reading(file.path)
            let start = slab.start.map { hsize_t($0) }
            let count = slab.count.map { hsize_t($0) }
            guard H5Sselect_hyperslab(opened.space.raw, H5S_SELECT_SET, start, nil, count, nil) >= 0,
                  let memorySpace = HDF5ID(H5Screate_simple(Int32(count.count), count, nil), .dataspace),
                  H5Dread(opened.dataset.raw, opened.type.raw, memorySpace.raw, opened.space.raw, chdf5_p_default(), target) >= 0 else {
                throw CheckpointError(.malformed, file: file.path, tensor: dataset.path,
                    HDF5ErrorStack.current().reason("cannot read the dataset"),
                    fix: "The file is corrupt; re-save it or get it again")
            }
        }
    }
}
