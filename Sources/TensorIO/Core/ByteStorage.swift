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
    init<Failure: Error>(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(Failure) -> Void) throws(Failure) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do {
            try fill(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            memory.deallocate()
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
        if owner == nil { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }
}
