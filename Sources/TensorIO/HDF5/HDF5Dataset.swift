internal import CHDF5

/// One dataset as Tubelet reads it: its path, element type and shape, all checked when the
/// file is opened, so that reading later cannot meet a surprise the header could have shown.
/// The data is read only by ``read(from:)``.
///
/// Checked at open, before anything is allocated: the type is one Tubelet reads, the shape's
/// byte size does not overflow, every filter the data passed through is available in this
/// libhdf5, the storage is inside the file (contiguous data does not run past its end), and
/// the declared size is one the stored bytes can actually produce.
struct HDF5Dataset: Sendable {
    /// The path without the leading `/`, which is also the tensor's name.
    var path: String
    var element: HDF5ElementType
    var shape: [Int]
    var byteCount: Int
    /// Where the data starts in the file, for contiguous data kept in it (nil otherwise).
    var contiguousOffset: Int?

    /// Checks the open dataset `dataset` found at `path`; returns it with its attributes (less
    /// the `dtype = "bfloat16"` attribute when that is what made it bfloat16: it is part of the
    /// dtype, not metadata). Call inside ``HDF5Library/withLock(_:)``.
    static func inspect(_ dataset: hid_t, path: String, in file: HDF5File, options: ReadOptions) throws(CheckpointError) -> (HDF5Dataset, [HDF5Attribute]) {
        func failure(_ kind: CheckpointError.Kind, _ reason: String, fix: SettingText? = "The file is corrupt; re-save it") -> CheckpointError {
            CheckpointError(kind, file: file.path, tensor: path, SettingText(verbatim: reason), fix: fix)
        }
        var attributes = try HDF5Attribute.readAll(of: dataset, objectPath: path, file: file.path)
        let declaredBFloat16 = attributes.contains { $0.name == "dtype" && $0.values == .strings(["bfloat16"]) }

        guard let type = HDF5ID(H5Dget_type(dataset), .datatype) else {
            throw failure(.malformed, HDF5ErrorStack.current().reason("cannot read the dataset's type"))
        }
        let element: HDF5ElementType
        do {
            element = try HDF5ElementType.classify(type.raw, declaredBFloat16: declaredBFloat16,
                                                   opaqueTwoByteAsBFloat16: options.opaqueTwoByteAsBFloat16)
        } catch {
            throw failure(.unsupported, error.reason, fix: error.fix)
        }
        if element.dtype == .bfloat16 && declaredBFloat16 && H5Tget_class(type.raw) == H5T_OPAQUE {
            attributes.removeAll { $0.name == "dtype" }
        }

        let shape = try Self.shape(of: dataset, path: path, file: file, maxRank: options.limits.maxRank)
        guard let byteCount = Shape.byteCount(shape, element.dtype) else {
            throw failure(.malformed, "shape \(Shape.describe(shape)) of \(element.dtype.rawValue) overflows 64-bit sizes")
        }
        let offset = try checkStorage(of: dataset, path: path, byteCount: byteCount, shape: shape, dtype: element.dtype, file: file,
                                      maxExpansionRatio: options.limits.maxExpansionRatio)
        return (HDF5Dataset(path: path, element: element, shape: shape, byteCount: byteCount, contiguousOffset: offset), attributes)
    }

    /// The dataset's shape: `[]` for a scalar dataspace, its dimensions for a simple one.
    private static func shape(of dataset: hid_t, path: String, file: HDF5File, maxRank: Int) throws(CheckpointError) -> [Int] {
        guard let space = HDF5ID(H5Dget_space(dataset), .dataspace) else {
            throw CheckpointError(.malformed, file: file.path, tensor: path,
                HDF5ErrorStack.current().reason("cannot read the dataset's shape"), fix: "The file is corrupt; re-save it")
        }
        switch H5Sget_simple_extent_type(space.raw) {
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            let rank = H5Sget_simple_extent_ndims(space.raw)
            guard rank >= 0, rank <= maxRank else {
                throw CheckpointError(.limitExceeded, file: file.path, tensor: path,
                    "the dataset has \(rank) dimensions, over the limit of \(maxRank)",
                    fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
            }
            var dimensions = [hsize_t](repeating: 0, count: Int(rank))
            guard H5Sget_simple_extent_dims(space.raw, &dimensions, nil) == rank else {
                throw CheckpointError(.malformed, file: file.path, tensor: path,
                    HDF5ErrorStack.current().reason("cannot read the dataset's dimensions"), fix: "The file is corrupt; re-save it")
            }
            guard dimensions.allSatisfy({ $0 <= hsize_t(Int.max) }) else {
                throw CheckpointError(.malformed, file: file.path, tensor: path,
                    "the dataset's dimensions \(dimensions) overflow 64-bit sizes")
            }
            return dimensions.map { Int($0) }
        case H5S_NULL:
            throw CheckpointError(.unsupported, file: file.path, tensor: path,
                "the dataset has a null dataspace (h5py.Empty): it holds no array, not even an empty one",
                fix: "Store an empty array (shape (0,)) instead, or remove the dataset")
        default:
            throw CheckpointError(.malformed, file: file.path, tensor: path, "the dataset's dataspace has an unknown class",
                fix: "The file is corrupt; re-save it")
        }
    }

    /// Where the data is and what it passed through: refuses virtual and external storage,
    /// filters this libhdf5 lacks, data past the end of the file and sizes the stored bytes
    /// cannot produce. Returns the data's offset in the file when it is contiguous there.
    private static func checkStorage(
        of dataset: hid_t, path: String, byteCount: Int, shape: [Int], dtype: DType, file: HDF5File, maxExpansionRatio: Int
    ) throws(CheckpointError) -> Int? {
        // Contiguous data kept in this file, what h5py and Keras write without compression, is
        // the one case H5Dget_offset gives an address for: a chunked (so possibly filtered),
        // compact, virtual or external dataset, or one never written, has none. Such a dataset
        // is checked from its address alone, without the copy of its creation property list
        // the other checks need (a tenth of opening ViT-L's file).
        if byteCount > 0 {
            let offset = H5Dget_offset(dataset)
            H5Eclear2(chdf5_e_default())
            if offset != haddr_t.max {
                let (end, overflow) = Int(clamping: offset).addingReportingOverflow(byteCount)
                guard !overflow, end <= file.size else {
                    throw CheckpointError(.truncated, file: file.path, tensor: path,
                        "the dataset's \(byteCount) bytes at offset \(offset) run past the end of the file (\(file.size) bytes)",
                        fix: "The file is truncated or corrupt; get it again")
                }
                return Int(clamping: offset)
            }
        }
        guard let properties = HDF5ID(H5Dget_create_plist(dataset), .propertyList) else {
            throw CheckpointError(.malformed, file: file.path, tensor: path,
                HDF5ErrorStack.current().reason("cannot read the dataset's storage properties"), fix: "The file is corrupt; re-save it")
        }
        let layout = H5Pget_layout(properties.raw)
        if layout == H5D_VIRTUAL {
            throw CheckpointError(.unsupported, file: file.path, tensor: path,
                "the dataset is a virtual dataset, assembled from other datasets or files",
                fix: "Copy its data into a real dataset (h5py: f.create_dataset(name, data=f[name][()]))")
        }
        if H5Pget_external_count(properties.raw) > 0 {
            throw CheckpointError(.unsupported, file: file.path, tensor: path,
                "the dataset's data is kept in external raw files, outside the HDF5 file",
                fix: "Copy its data into the file (h5py: f.create_dataset(name, data=f[name][()]))")
        }
        let filterCount = H5Pget_nfilters(properties.raw)
        for index in 0..<UInt32(max(filterCount, 0)) {
            var flags: UInt32 = 0
            var valueCount = 16
            var values = [UInt32](repeating: 0, count: 16)
            var name = [CChar](repeating: 0, count: 256)
            var configuration: UInt32 = 0
            let id = H5Pget_filter2(properties.raw, index, &flags, &valueCount, &values, name.count, &name, &configuration)
            let storedName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard id >= 0 else {
                throw CheckpointError(.malformed, file: file.path, tensor: path,
                    HDF5ErrorStack.current().reason("cannot read the dataset's filter \(index)"), fix: "The file is corrupt; re-save it")
            }
            if H5Zfilter_avail(id) <= 0 {
                H5Eclear2(chdf5_e_default())
                let known = HDF5Filter.name(of: id) ?? (storedName.isEmpty ? "unknown" : storedName)
                throw CheckpointError(.unsupported, file: file.path, tensor: path,
                    "the dataset is compressed with HDF5 filter \(id) (\(known)), which this libhdf5 (\(HDF5Library.version)) does not have",
                    fix: "Re-save the file without it, e.g. in Python with hdf5plugin imported: h5py.File(src)[name][()] written to a dataset with compression='gzip'; or point HDF5_PLUGIN_PATH at a build of the filter plugin")
            }
        }

        let stored = Int(clamping: H5Dget_storage_size(dataset))
        H5Eclear2(chdf5_e_default())
        guard stored <= file.size else {
            throw CheckpointError(.truncated, file: file.path, tensor: path,
                "the dataset stores \(stored) bytes, but the whole file is \(file.size) bytes",
                fix: "The file is truncated or corrupt; get it again")
        }
        let (bound, overflow) = stored.multipliedReportingOverflow(by: maxExpansionRatio)
        if byteCount > HDF5Limits.maxUnstoredBytes && !overflow && byteCount > bound {
            throw CheckpointError(.limitExceeded, file: file.path, tensor: path,
                "the dataset declares shape \(Shape.describe(shape)) of \(dtype.rawValue) = \(byteCount) bytes but stores only \(stored) bytes in the file, more than any compression expands",
                fix: "The file is corrupt, or the dataset was created and never written; re-save it (or, if it is trusted, raise \(setting: .maxExpansionRatio))")
        }
        return nil
    }

    /// The dataset's tensor: a dataset of at most ``TensorBytes/sliceBytes`` is read whole,
    /// a larger one is streamed, read a hyperslab at a time as its bytes are consumed
    /// (``HDF5SlabReader``), so no dataset is ever whole in memory.
    ///
    /// Contiguous data whose stored bytes are already Tubelet's (little-endian, not h5py's
    /// bool enum), what h5py and Keras write without compression, is borrowed from the mapped
    /// file instead, as a stored npz member is: no copy through libhdf5, and a writer can
    /// have the kernel copy it.
    func read(from file: HDF5File) throws(CheckpointError) -> Tensor {
        if let offset = contiguousOffset, let mapped = file.mapped, !element.isBoolEnum,
           !element.bigEndian || element.dtype.byteCount == 1, offset + byteCount <= mapped.bytes.count {
            return Tensor(checked: element.dtype, shape: shape, bytes: try mapped.borrow(offset..<(offset + byteCount)))
        }
        guard byteCount > TensorBytes.sliceBytes, !shape.isEmpty else { return try readWhole(from: file) }
        let dataset = self
        let bytes = TensorBytes(count: byteCount) { () throws(CheckpointError) -> TensorBytes.Filler in
            let reader = try HDF5SlabReader(dataset, in: file)
            return { (buffer) throws(CheckpointError) in try reader.fill(buffer) }
        }
        return Tensor(checked: element.dtype, shape: shape, bytes: bytes)
    }

    /// Reads the whole dataset as stored (no type conversion by libhdf5), then puts it in
    /// Tubelet's form: big-endian elements swapped, bool bytes made 0 or 1.
    func readWhole(from file: HDF5File) throws(CheckpointError) -> Tensor {
        let bytes = try HDF5Library.withLock { () throws(CheckpointError) -> TensorBytes in
            CrashGuard.reading(file.path)
            guard let dataset = HDF5ID(H5Dopen2(file.id.raw, "/" + path, chdf5_p_default()), .dataset),
                  let type = HDF5ID(H5Dget_type(dataset.raw), .datatype) else {
                throw CheckpointError(.malformed, file: file.path, tensor: path,
                    HDF5ErrorStack.current().reason("cannot open the dataset"), fix: "The file is corrupt; re-save it")
            }
            return try TensorBytes(count: byteCount) { (buffer) throws(CheckpointError) in
                guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
                guard H5Dread(dataset.raw, type.raw, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), base) >= 0 else {
                    throw CheckpointError(.malformed, file: file.path, tensor: path,
                        HDF5ErrorStack.current().reason("cannot read the dataset"),
                        fix: "The file is corrupt; re-save it or get it again")
                }
                if element.bigEndian {
                    ByteOrder.swapElements(buffer, elementSize: element.dtype.byteCount)
                }
                if element.isBoolEnum {
                    for index in buffer.indices where buffer[index] > 1 { buffer[index] = 1 }
                }
            }
        }
        return Tensor(checked: element.dtype, shape: shape, bytes: bytes)
    }
}
