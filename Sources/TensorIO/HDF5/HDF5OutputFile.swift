internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// A new HDF5 file being written: groups, datasets and root attributes, one at a time.
///
/// Files are created in HDF5's earliest (most compatible) format, so libhdf5 1.8 and later,
/// h5py and `h5dump` all read them. Groups record link creation order, so the tensors read back
/// in the order they were written; object timestamps are off, so the same tensors give the same
/// bytes. ``close()`` flushes and closes the file and reports a failure; a file abandoned after
/// an error is closed by its handle's `deinit` and removed by the caller.
final class HDF5OutputFile {
    let path: String
    private var file: HDF5ID?

    init(path: String) throws(CheckpointError) {
        self.path = path
        file = try HDF5Library.withLock { () throws(CheckpointError) -> HDF5ID in
            guard let creation = HDF5ID(H5Pcreate(chdf5_p_file_create()), .propertyList),
                  H5Pset_link_creation_order(creation.raw, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)) >= 0,
                  H5Pset_obj_track_times(creation.raw, false) >= 0 else {
                throw CheckpointError(.io, file: path, HDF5ErrorStack.current().reason("cannot set up the HDF5 file"))
            }
            let access = try HDF5File.fileAccess(path: path)
            guard let file = HDF5ID(H5Fcreate(path, chdf5_f_acc_excl(), creation.raw, access.raw), .file) else {
                throw CheckpointError(.io, file: path, HDF5ErrorStack.current().reason("cannot create the HDF5 file"))
            }
            return file
        }
    }

    /// Creates the group `groupPath` (`a/b`), whose parent must exist already.
    func createGroup(_ groupPath: String) throws(CheckpointError) {
        try HDF5Library.withLock { () throws(CheckpointError) in
            guard let file = file?.raw else { return }
            guard let creation = HDF5ID(H5Pcreate(chdf5_p_group_create()), .propertyList),
                  H5Pset_link_creation_order(creation.raw, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)) >= 0,
                  H5Pset_obj_track_times(creation.raw, false) >= 0,
                  HDF5ID(H5Gcreate2(file, "/" + groupPath, chdf5_p_default(), creation.raw, chdf5_p_default()), .group) != nil else {
                throw CheckpointError(.io, file: path, tensor: groupPath, HDF5ErrorStack.current().reason("cannot create the group"))
            }
        }
    }

    /// Writes `tensor` as the dataset `name`: contiguous, or chunked and gzip-compressed (with
    /// the shuffle filter, which groups the bytes of each element and helps gzip on floats)
    /// when `compression` asks and the tensor has elements to chunk.
    ///
    /// A contiguous dataset's bytes are written by Tubelet itself, not through `H5Dwrite`:
    /// libhdf5 places the data when it creates the dataset (early allocation, no fill value
    /// written), ``data`` writes the tensor there, and a tensor borrowed from a mapped input is
    /// copied by the kernel, as `cp` does. Through libhdf5, every byte was copied from memory
    /// once more (ViT-L inflated to HDF5 took 2 × `cp` + `sync`). The file type is the memory
    /// type `H5Dwrite` was given (``HDF5FileType``: little-endian, h5py's layouts), so
    /// libhdf5 would have converted nothing: the file's bytes are the tensor's bytes.
    func writeDataset(_ name: String, _ tensor: Tensor, compression: WriteOptions.Compression) throws(CheckpointError) {
        let placement = try HDF5Library.withLock { () throws(CheckpointError) -> Int? in
            guard let file = file?.raw else { return nil }
            func failure(_ doing: String) -> CheckpointError {
                CheckpointError(.io, file: path, tensor: name, HDF5ErrorStack.current().reason("cannot \(doing)"))
            }
            guard let type = HDF5FileType.make(tensor.dtype) else { throw failure("create the datatype") }
            let dimensions = tensor.shape.map { hsize_t($0) }
            let space = tensor.shape.isEmpty
                ? HDF5ID(H5Screate(H5S_SCALAR), .dataspace)
                : HDF5ID(H5Screate_simple(Int32(dimensions.count), dimensions, nil), .dataspace)
            guard let space else { throw failure("create the dataspace") }
            guard let creation = HDF5ID(H5Pcreate(chdf5_p_dataset_create()), .propertyList),
                  H5Pset_obj_track_times(creation.raw, false) >= 0 else { throw failure("set up the dataset") }
            var chunks: [Int]?
            if case .deflate(let level) = compression,
               let chunkShape = HDF5ChunkShape.chunks(for: tensor.shape, elementSize: tensor.dtype.byteCount) {
                chunks = chunkShape
                let chunkDimensions = chunkShape.map { hsize_t($0) }
                guard H5Pset_chunk(creation.raw, Int32(chunkDimensions.count), chunkDimensions) >= 0,
                      tensor.dtype.byteCount == 1 || H5Pset_shuffle(creation.raw) >= 0,
                      H5Pset_deflate(creation.raw, UInt32(max(1, min(9, level)))) >= 0 else {
                    throw failure("set up compression")
                }
            } else {
                guard H5Pset_alloc_time(creation.raw, H5D_ALLOC_TIME_EARLY) >= 0,
                      H5Pset_fill_time(creation.raw, H5D_FILL_TIME_NEVER) >= 0 else {
                    throw failure("set up the dataset's storage")
                }
            }
            guard let dataset = HDF5ID(H5Dcreate2(file, "/" + name, type.raw, space.raw, chdf5_p_default(), creation.raw, chdf5_p_default()), .dataset) else {
                throw failure("create the dataset")
            }
            if tensor.dtype == .bfloat16 {
                try writeStringAttribute("dtype", "bfloat16", on: dataset.raw, object: name)
            }
            if chunks == nil {
                guard tensor.bytes.count > 0 else { return nil }
                let offset = H5Dget_offset(dataset.raw)
                guard offset != haddr_t.max, let placement = Int(exactly: offset) else {
                    throw failure("find where the dataset's data goes")
                }
                return placement
            }
            if tensor.bytes.count <= TensorBytes.sliceBytes {
                let whole = try tensor.bytes.materialised()
                let status = whole.withUnsafeBytes { bytes -> herr_t in
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
                    return H5Dwrite(dataset.raw, type.raw, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), base)
                }
                guard status >= 0 else { throw failure("write the dataset") }
            } else {
                // Slabs of whole rows of chunks (the chunks are whole trailing rows): each
                // chunk is compressed once, never rewritten with its first copy left in the file.
                let slabs = HDF5SlabReader.plan(shape: tensor.shape, elementSize: tensor.dtype.byteCount, chunk: chunks)
                try writeSlabs(tensor, slabs: slabs, dataset: dataset.raw, type: type.raw, failure: failure)
            }
            writtenSinceWriteback += tensor.bytes.count
            if writtenSinceWriteback >= Self.writebackInterval { startWriteback(file) }
            return nil
        }
        if let placement {
            if data == nil { data = try OutputFile(reopening: path) }
            data?.seek(to: placement)
            try data?.write(tensor.bytes)
        }
    }

    /// The file opened a second time, to write contiguous datasets' bytes where libhdf5 has
    /// placed them; libhdf5 never reads or writes those places (it writes no fill value).
    private var data: OutputFile?

    /// Writes a large tensor into its chunked dataset a hyperslab at a time, in the order of
    /// its bytes, so neither the tensor nor libhdf5 ever holds more than a slab of it; the
    /// slabs hold whole chunks, so the file's bytes are those of one whole write.
    private func writeSlabs(_ tensor: Tensor, slabs: HDF5Hyperslabs, dataset: hid_t, type: hid_t,
                            failure: (String) -> CheckpointError) throws(CheckpointError) {
        guard let fileSpace = HDF5ID(H5Dget_space(dataset), .dataspace) else { throw failure("get the dataspace") }
        let reader = tensor.bytes.reader()
        var staging: PageBuffer?
        for slab in slabs {
            var piece = try reader.next(upTo: slab.byteCount)
            if piece.count < slab.byteCount {
                // A streamed tensor's computed slice ended inside this slab: gather it.
                if staging == nil { staging = try PageBuffer(count: slabs.rowsPerSlab * (slabs.cut?.rowBytes ?? 0)) }
                guard let buffer = staging else { throw failure("allocate a slab") }
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[0..<slab.byteCount])
                if let base = piece.baseAddress { target.baseAddress?.copyMemory(from: base, byteCount: piece.count) }
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: target[piece.count...]))
                piece = UnsafeRawBufferPointer(target)
            }
            let start = slab.start.map { hsize_t($0) }
            let count = slab.count.map { hsize_t($0) }
            guard H5Sselect_hyperslab(fileSpace.raw, H5S_SELECT_SET, start, nil, count, nil) >= 0,
                  let memorySpace = HDF5ID(H5Screate_simple(Int32(count.count), count, nil), .dataspace) else {
                throw failure("select a slab of the dataset")
            }
            guard H5Dwrite(dataset, type, memorySpace.raw, fileSpace.raw, chdf5_p_default(), piece.baseAddress) >= 0 else {
                throw failure("write the dataset")
            }
        }
    }

    /// Bytes of tensor data written since writeback was last started.
    private var writtenSinceWriteback = 0
    private static let writebackInterval = 64 << 20

    /// Asks the kernel to start writing the file's dirty pages back to disk, without waiting.
    ///
    /// The finished file is flushed (`fsync`) before it is renamed into place; started every
    /// 64 MB, the disk writes while the next tensors are prepared instead of all at the end,
    /// as the npz writer does. `POSIX_FADV_DONTNEED` starts writeback of dirty pages and drops
    /// only pages already clean. The file is written through libhdf5's default `sec2` driver,
    /// whose handle is its file descriptor.
    private func startWriteback(_ file: hid_t) {
        writtenSinceWriteback = 0
        #if os(Linux)
        var handle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(file, chdf5_p_default(), &handle) >= 0, let handle else { return }
        _ = posix_fadvise(handle.load(as: Int32.self), 0, 0, POSIX_FADV_DONTNEED)
        #endif
    }

    /// Writes `value` as a variable-length UTF-8 string attribute `name` of the root group, as
    /// h5py writes a `str`.
    func writeRootAttribute(_ name: String, _ value: String) throws(CheckpointError) {
        try HDF5Library.withLock { () throws(CheckpointError) in
            guard let file = file?.raw else { return }
            try writeStringAttribute(name, value, on: file, object: "/")
        }
    }

    /// Writes `names` as the attribute `name` of the group `groupPath` ("" for the root) as
    /// Keras 2 writes `layer_names` and `weight_names`: a 1-D array of variable-length strings,
    /// or, for an empty list, an empty float64 array (Keras stores `np.array([])`, since h5py
    /// cannot store an empty list of strings).
    func writeNameList(_ name: String, _ names: [String], group groupPath: String) throws(CheckpointError) {
        try HDF5Library.withLock { () throws(CheckpointError) in
            guard let file = file?.raw else { return }
            let objectName = groupPath.isEmpty ? "/" : groupPath
            func failure(_ doing: String) -> CheckpointError {
                CheckpointError(.io, file: path, tensor: objectName, HDF5ErrorStack.current().reason("cannot \(doing) attribute '\(name)'"))
            }
            guard let group = HDF5ID(H5Gopen2(file, "/" + groupPath, chdf5_p_default()), .group) else { throw failure("open the group of") }
            let dimensions = [hsize_t(names.count)]
            guard let space = HDF5ID(H5Screate_simple(1, dimensions, nil), .dataspace),
                  let type = names.isEmpty ? HDF5ID(H5Tcopy(chdf5_t_ieee_f64le()), .datatype) : HDF5FileType.utf8String() else {
                throw failure("set up")
            }
            guard let attribute = HDF5ID(H5Acreate2(group.raw, name, type.raw, space.raw, chdf5_p_default(), chdf5_p_default()), .attribute) else {
                throw failure("create")
            }
            guard !names.isEmpty else { return }
            // The names' UTF-8 bytes, each NUL-terminated, in one buffer, and a pointer to each:
            // the array of `char *` that HDF5 writes variable-length strings from.
            var storage: [CChar] = []
            var offsets: [Int] = []
            for name in names {
                offsets.append(storage.count)
                storage += name.utf8CString
            }
            let status = storage.withUnsafeBufferPointer { characters -> herr_t in
                guard let base = characters.baseAddress else { return -1 }
                let pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                return pointers.withUnsafeBufferPointer { H5Awrite(attribute.raw, type.raw, $0.baseAddress) }
            }
            guard status >= 0 else { throw failure("write") }
        }
    }

    private func writeStringAttribute(_ name: String, _ value: String, on object: hid_t, object objectName: String) throws(CheckpointError) {
        func failure(_ doing: String) -> CheckpointError {
            CheckpointError(.io, file: path, tensor: objectName, HDF5ErrorStack.current().reason("cannot \(doing) attribute '\(name)'"))
        }
        guard let type = HDF5FileType.utf8String(), let space = HDF5ID(H5Screate(H5S_SCALAR), .dataspace) else {
            throw failure("set up")
        }
        guard let attribute = HDF5ID(H5Acreate2(object, name, type.raw, space.raw, chdf5_p_default(), chdf5_p_default()), .attribute) else {
            throw failure("create")
        }
        let status = value.withCString { text -> herr_t in
            var pointer: UnsafePointer<CChar>? = text
            return H5Awrite(attribute.raw, type.raw, &pointer)
        }
        guard status >= 0 else { throw failure("write") }
    }

    /// Objects of this file open right now, the file itself included: 1 between operations.
    /// For tests (the file is closed *strongly*, which would hide a leak after ``close()``).
    var openObjectCount: Int {
        HDF5Library.withLock { () -> Int in
            guard let file = file?.raw else { return 0 }
            return Int(H5Fget_obj_count(file, chdf5_f_obj_all()))
        }
    }

    /// Flushes and closes the file; a failure here (a full disk) is reported, not lost.
    func close() throws(CheckpointError) {
        try data?.close()
        data = nil
        try HDF5Library.withLock { () throws(CheckpointError) in
            guard let file = file.take() else { return }
            guard file.close() else {
                throw CheckpointError(.io, file: path, HDF5ErrorStack.current().reason("cannot finish writing the HDF5 file"))
            }
        }
    }
}
