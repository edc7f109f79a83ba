#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A block of bytes that a tensor owns or borrows, released exactly once when the last
/// tensor that uses it goes away.
///
/// Owned blocks are heap allocations aligned to 64 bytes; borrowed blocks are ranges of a
/// ``MappedFile`` and keep the mapping alive. The bytes are never mutated after the
/// initialiser that fills them returns, which is what makes sharing them across threads safe.
final class ByteStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let owner: AnyObject?

    /// Allocates `count` bytes and lets `fill` write all of them.
    ///
    /// Sizes here come from files only after they were checked against the file, but a
    /// checked size can still exceed memory; that is reported, not a crash.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Void) throws(CheckpointError) {
        var allocation: UnsafeMutableRawPointer?
        guard posix_memalign(&allocation, 64, max(count, 1)) == 0, let memory = allocation else {
            throw CheckpointError(.limitExceeded, file: "<memory>",
                "cannot allocate \(count) bytes for a tensor", fix: "Free memory or use a machine with more")
        }
        do throws(CheckpointError) {
            try fill(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            free(memory)
            throw error
        }
        self.base = UnsafeRawPointer(memory)
        self.count = count
        self.owner = nil
    }

    /// Borrows `count` bytes at `base` inside `mapping`, which stays mapped while this lives.
    init(borrowing base: UnsafeRawPointer, count: Int, from mapping: MappedFile) {
        self.base = base
        self.count = count
        self.owner = mapping
    }

    deinit {
        if owner == nil {
            free(UnsafeMutableRawPointer(mutating: base))
        } else if let mapping = owner as? MappedFile {
            mapping.release(base, count: count)
        }
    }
}
