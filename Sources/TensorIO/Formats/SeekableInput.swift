#if canImport(Glibc)
import Glibc
#endif

/// Refuses an input that is a stream rather than a file, before it is opened.
///
/// Every reader seeks: formats are told apart by bytes at several offsets (HDF5's superblock
/// may sit at 512, 1024, …), zip archives are read from their central directory at the end,
/// and tensor data is memory-mapped. A pipe, a FIFO, a terminal or a socket (`/dev/stdin`
/// in `cat f | tubelet inspect /dev/stdin`) offers none of that, and the first `pread` fails
/// with "Illegal seek"; opening a FIFO that no program writes to would even block forever.
/// `stat` follows links, so `/dev/stdin` is judged by what it leads to: a file redirected
/// with `< f` is a regular file and is read as any other.
enum SeekableInput {
    static func check(_ path: String) throws(CheckpointError) {
        var status = stat()
        if path == "-", stat(path, &status) != 0 {
            throw CheckpointError(.cannotOpen, file: path,
                "standard input is a stream, and Tubelet seeks in and memory-maps the checkpoints it reads",
                fix: "Save it to a file first (e.g. cat > model.npz) and pass that file")
        }
        guard stat(path, &status) == 0, let kind = OutputTarget.SpecialFileKind(mode: status.st_mode) else { return }
        let fix = kind == .blockDevice
            ? "Copy the checkpoint into a file and pass that file"
            : "Save the stream to a file first (e.g. cat > model.npz) and pass that file"
        throw CheckpointError(.cannotOpen, file: path,
            "is \(kind.rawValue), not a regular file: Tubelet seeks in and memory-maps the checkpoints it reads, which a stream does not allow",
            fix: fix)
    }
}
