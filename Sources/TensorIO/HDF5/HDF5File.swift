internal import CHDF5

/// An HDF5 file open read-only: a file on disk, or a file image held in memory (the
/// `model.weights.h5` inside a `.keras` archive, opened with the core driver so no temporary
/// file is ever written).
///
/// The file stays open while the source that reads it lives, and is closed (under the
/// library lock) when it goes away. It is opened with the *strong* close degree, so closing
/// it really closes it, whatever else might still refer to it.
///
/// Sendable because its identifier is only ever used inside ``HDF5Library/withLock(_:)``:
/// a streamed tensor's bytes (``HDF5SlabReader``) keep the file open and read it from
/// whichever thread consumes them.
final class HDF5File: @unchecked Sendable {
    /// The path messages name: the file, or the archive the image came from.
    let path: String
    let id: HDF5ID
    /// Bytes in the file or image, the bound for every offset and stored size in it.
    let size: Int
    /// The file mapped into memory, for contiguous datasets read in place (see
    /// ``HDF5Dataset/read(from:)``); nil for an image or a file that cannot be mapped.
    let mapped: MappedFile?

    /// Opens the HDF5 file at `path`.
    init(path: String) throws(CheckpointError) {
        self.path = path
        let opened = try HDF5Library.withLock { () throws(CheckpointError) -> Opened in
            CrashGuard.reading(path)
            let access = try Self.fileAccess(path: path)
            guard let file = HDF5ID(H5Fopen(path, chdf5_f_acc_rdonly(), access.raw), .file) else {
                throw Self.openFailure(path: path, stack: HDF5ErrorStack.current())
            }
            let size = try Self.fileSize(file.raw, path: path)
            return Opened(id: file, size: size)
        }
        size = opened.size
        id = opened.id
        mapped = try? MappedFile(path: path)
    }

    /// Opens the HDF5 file image `image` (copied by libhdf5, so it need not outlive this call).
    /// - Parameters:
    ///   - name: the image's name inside its container, for HDF5's own messages.
    ///   - path: the container's path, for Tubelet's messages.
    init(image: UnsafeRawBufferPointer, name: String, path: String) throws(CheckpointError) {
        self.path = path
        let opened = try HDF5Library.withLock { () throws(CheckpointError) -> Opened in
            CrashGuard.reading(path)
            guard let base = image.baseAddress, image.count > 0 else {
                throw CheckpointError(.malformed, file: path, tensor: name, "the member is empty, not an HDF5 file",
                    fix: "Re-save the model with Keras")
            }
            let access = try Self.fileAccess(path: path)
            // The core (memory) driver without a backing store: nothing is ever written to disk.
            guard H5Pset_fapl_core(access.raw, 1 << 16, false) >= 0,
                  H5Pset_file_image(access.raw, UnsafeMutableRawPointer(mutating: base), image.count) >= 0 else {
                throw CheckpointError(.io, file: path, tensor: name,
                    HDF5ErrorStack.current().reason("cannot prepare the in-memory HDF5 image"))
            }
            guard let file = HDF5ID(H5Fopen(name, chdf5_f_acc_rdonly(), access.raw), .file) else {
                throw Self.openFailure(path: path, member: name, stack: HDF5ErrorStack.current())
            }
            let size = try Self.fileSize(file.raw, path: path)
            return Opened(id: file, size: size)
        }
        size = opened.size
        id = opened.id
        mapped = nil
    }

    /// A file just opened, before it is stored.
    private struct Opened: ~Copyable {
        var id: HDF5ID
        var size: Int
    }

    /// File-access properties for every file Tubelet opens: strong close, and no file locking
    /// (read-only access needs none, and locking fails on file systems without `flock`, such
    /// as some network mounts).
    static func fileAccess(path: String) throws(CheckpointError) -> HDF5ID {
        guard let access = HDF5ID(H5Pcreate(chdf5_p_file_access()), .propertyList),
              // sec2 (the default, named so that HDF5_DRIVER cannot change it): addresses are
              // offsets in the file, which in-place reads rely on.
              H5Pset_fapl_sec2(access.raw) >= 0,
              H5Pset_fclose_degree(access.raw, H5F_CLOSE_STRONG) >= 0,
              H5Pset_file_locking(access.raw, false, true) >= 0 else {
            throw CheckpointError(.io, file: path, HDF5ErrorStack.current().reason("cannot set up HDF5 file access"))
        }
        return access
    }

    private static func fileSize(_ file: hid_t, path: String) throws(CheckpointError) -> Int {
        var size: hsize_t = 0
        guard H5Fget_filesize(file, &size) >= 0 else {
            throw CheckpointError(.io, file: path, HDF5ErrorStack.current().reason("cannot read the file size"))
        }
        return Int(clamping: size)
    }

    /// The error for a file libhdf5 would not open, with the cause said plainly where it is a
    /// known one.
    static func openFailure(path: String, member: String? = nil, stack: HDF5ErrorStack) -> CheckpointError {
        if stack.mentions("truncated file") {
            return CheckpointError(.truncated, file: path, tensor: member, stack.reason("the HDF5 file is truncated"),
                fix: "The file is incomplete (an interrupted download or copy?); get it again")
        }
        if stack.mentions("file signature not found") || stack.mentions("unable to find a valid file signature") {
            return CheckpointError(.malformed, file: path, tensor: member, stack.reason("not an HDF5 file"),
                fix: member == nil ? "Check that this is the file you meant" : "Re-save the model with Keras")
        }
        return CheckpointError(.malformed, file: path, tensor: member, stack.reason("cannot open the HDF5 file"),
            fix: "The file is corrupt or was written by an incompatible HDF5; re-save it with h5py")
    }
}
