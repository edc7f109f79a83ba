#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the `errno` it left, as a value.
struct SystemError: Error, CustomStringConvertible, Equatable {
    let code: Int32

    /// The C library's text for the error ("No space left on device").
    var description: String { String(cString: strerror(code)) }

    /// The ``CheckpointError`` for `doing` (a phrase: "cannot write") on `file`.
    func checkpointError(_ doing: String, file: String, tensor: String? = nil) -> CheckpointError {
        let kind: CheckpointError.Kind = switch code {
        case ENOENT, EACCES, EPERM, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG: .cannotOpen
        case EEXIST: .outputRefused
        default: .io
        }
        return CheckpointError(kind, file: file, tensor: tensor, "\(doing): \(description)")
    }
}

/// The one way Tubelet calls the operating system: the call is retried while it is
/// interrupted by a signal (`EINTR`), and a failure (`-1`) becomes a ``SystemError`` carrying
/// `errno`, so no caller reads `errno` itself or forgets the retry.
enum SystemCall {
    /// Runs `call` until it is not interrupted; throws its `errno` when it returns -1.
    @discardableResult
    static func run<Result: FixedWidthInteger & SignedInteger>(_ call: () -> Result) throws(SystemError) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw SystemError(code: code) }
        }
    }

    /// Runs `call` as ``run(_:)`` does; a failure becomes a ``CheckpointError`` of `kind` about
    /// `file` saying "`doing`: <the system's reason>".
    @discardableResult
    static func run<Result: FixedWidthInteger & SignedInteger>(
        _ kind: CheckpointError.Kind = .io, file: String, _ doing: String, _ call: () -> Result
    ) throws(CheckpointError) -> Result {
        do throws(SystemError) {
            return try run(call)
        } catch {
            return try { () throws(CheckpointError) -> Result in
                throw CheckpointError(kind, file: file, "\(doing): \(error)")
            }()
        }
    }

    /// Runs a call that returns an error number instead of setting `errno` (`posix_fadvise`,
    /// `posix_memalign`), retried while it returns `EINTR`.
    static func runReturningError(_ call: () -> Int32) throws(SystemError) {
        while true {
            let code = call()
            if code == 0 { return }
            if code != EINTR { throw SystemError(code: code) }
        }
    }

    /// Writes all of `bytes` to `descriptor`, at `offset` when given (`pwrite`), else at the
    /// file position; short writes continue where they stopped.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) throws(SystemError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let written = try run { () -> Int in
                if let offset {
                    return pwrite(descriptor, base + done, bytes.count - done, off_t(offset + done))
                }
                return write(descriptor, base + done, bytes.count - done)
            }
            guard written > 0 else { throw SystemError(code: EIO) }
            done += written
        }
    }
}
