import Synchronization
internal import CHDF5

/// Owns one libhdf5 identifier (a file, group, dataset, attribute, datatype, dataspace or
/// property list) and closes it exactly once: in ``close()`` when the caller needs the result
/// (closing a written file flushes it, and that can fail), otherwise in `deinit`.
///
/// It is non-copyable, so ownership is explicit and a second close cannot happen. Every
/// identifier Tubelet opens is wrapped in one of these on the line that opens it.
struct HDF5ID: ~Copyable {
    enum Kind: Sendable {
        case file, group, dataset, attribute, datatype, dataspace, propertyList
        /// Any object opened with `H5Oopen` (a group, a dataset or a named datatype).
        case object
    }

    let raw: hid_t
    let kind: Kind

    /// Takes ownership of `raw`, or returns nil when it is a failure value (negative).
    init?(_ raw: hid_t, _ kind: Kind) {
        guard raw >= 0 else { return nil }
        self.raw = raw
        self.kind = kind
        HDF5Library.liveHandles.add(1, ordering: .relaxed)
    }

    deinit {
        HDF5Library.withLock { _ = Self.close(raw, kind) }
        HDF5Library.liveHandles.subtract(1, ordering: .relaxed)
    }

    /// Closes the identifier now and reports whether libhdf5 succeeded. Call inside
    /// ``HDF5Library/withLock(_:)`` so a failure's error stack can be read.
    consuming func close() -> Bool {
        let status = Self.close(raw, kind)
        HDF5Library.liveHandles.subtract(1, ordering: .relaxed)
        discard self
        return status >= 0
    }

    private static func close(_ raw: hid_t, _ kind: Kind) -> herr_t {
        switch kind {
        case .file: H5Fclose(raw)
        case .group: H5Gclose(raw)
        case .dataset: H5Dclose(raw)
        case .attribute: H5Aclose(raw)
        case .datatype: H5Tclose(raw)
        case .dataspace: H5Sclose(raw)
        case .propertyList: H5Pclose(raw)
        case .object: H5Oclose(raw)
        }
    }
}
