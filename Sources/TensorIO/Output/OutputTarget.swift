#if canImport(Glibc)
import Glibc
#endif

/// What an output path names once symbolic links are followed, and whether Tubelet may
/// put a file there.
///
/// Every output is written to a temporary file and renamed over the target (``AtomicOutput``).
/// A rename replaces whatever directory entry is at the target, so the target must be the
/// entry the user means:
/// - a symbolic link is followed, as `sed -i --follow-symlinks` does, so `latest.npz ->
///   run-7.npz` updates `run-7.npz` and `latest.npz` stays a link to it. A chain of links is
///   followed to its end (realpath semantics); a dangling link's target is created;
/// - a named pipe, socket or device is refused even where replacing is allowed: a rename would
///   replace the node itself with a regular file (`/dev/null` in a container, a FIFO another
///   program reads) instead of writing into it;
/// - a path that resolves into `/proc` (`/dev/stdout`, `/dev/fd/N`) names one of the
///   process's open files, not a place in the file system to rename a file to;
/// - `-` is standard output to the command line, and a checkpoint cannot go there: it is
///   renamed into place only when complete, and most formats seek back to write their
///   headers and indexes.
public enum OutputTarget {
    /// The most links followed before giving up, as the kernel's `MAXSYMLINKS`.
    static let maximumLinks = 40

    /// The path to write for `path`: `path` itself, or the end of its chain of symbolic
    /// links. Errors name `path` as given.
    public static func resolve(_ path: String) throws(CheckpointError) -> String {
        if path.isEmpty {
            throw CheckpointError(.invalidRequest, file: "''", "the output path is empty", fix: "Name a file to write")
        }
        if path == "-" {
            throw CheckpointError(.invalidRequest, file: path,
                "a checkpoint cannot be written to standard output: it is written to a temporary file and renamed into place only when complete, and npz, pth and HDF5 files seek back to write their indexes",
                fix: "Name a file to write")
        }
        // stat follows every link, /proc's magic ones included: a pipe or terminal behind
        // /dev/stdout shows as what it is.
        var followed = stat()
        if stat(path, &followed) == 0, let kind = SpecialFileKind(mode: followed.st_mode) {
            throw refusal(path, kind: kind)
        }
        var current = path
        var links = 0
        var status = stat()
        while lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK {
            // /dev/stdout, /dev/fd/N and /proc/PID/fd/N are links in /proc to an open file.
            if isInsideProc(directoryPart(of: current)) {
                throw CheckpointError(.outputRefused, file: path,
                    "the output is one of the process's open files (a link in /proc), not a file Tubelet can replace",
                    fix: "Name the file to write itself")
            }
            links += 1
            guard links <= maximumLinks else {
                throw CheckpointError(.outputRefused, file: path, "the output is a symbolic link that leads to itself (more than \(maximumLinks) links)",
                    fix: "Fix the link, or name a file to write")
            }
            guard let destination = readLink(current) else {
                throw CheckpointError(.io, file: path, "cannot read the symbolic link \(current): \(String(cString: strerror(errno)))")
            }
            current = destination.hasPrefix("/") ? destination : directoryPart(of: current) + destination
        }
        if lstat(current, &status) == 0, let kind = SpecialFileKind(mode: status.st_mode) {
            throw refusal(path, kind: kind)
        }
        return current
    }

    /// The kinds of file system node that a rename must never replace.
    enum SpecialFileKind: String {
        case fifo = "a named pipe (FIFO)"
        case socket = "a socket"
        case characterDevice = "a character device"
        case blockDevice = "a block device"

        init?(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFIFO: self = .fifo
            case S_IFSOCK: self = .socket
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            default: return nil
            }
        }
    }

    private static func refusal(_ path: String, kind: SpecialFileKind) -> CheckpointError {
        CheckpointError(.outputRefused, file: path,
            "the output is \(kind.rawValue), not a regular file; Tubelet writes a new file and renames it into place, which would replace the node itself, so it is refused even where replacing an output is allowed",
            fix: "Name a regular file to write")
    }

    /// `dir/` of `dir/name`, `/` of `/name`, "" of `name`.
    static func directoryPart(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// Whether `directory` ("" for the current one) is in procfs, once its own links are
    /// resolved (`/dev/fd` is a link to `/proc/self/fd`).
    private static func isInsideProc(_ directory: String) -> Bool {
        guard let pointer = realpath(directory.isEmpty ? "." : directory, nil) else { return false }
        defer { free(pointer) }
        let resolved = String(cString: pointer)
        return resolved == "/proc" || resolved.hasPrefix("/proc/")
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
