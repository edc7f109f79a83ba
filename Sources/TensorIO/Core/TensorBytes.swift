/// The data of a tensor: row-major, little-endian bytes, owned or borrowed from a mapped file.
///
/// Copying a `TensorBytes` shares the underlying block; nothing is copied. The pointer given
/// to ``withUnsafeBytes(_:)`` is valid only inside the closure and may be unaligned (old
/// `.npy` files align data to 16 bytes, zip members to nothing), so read elements with
/// `loadUnaligned`.
public struct TensorBytes: Sendable {
    private let storage: ByteStorage

    init(storage: ByteStorage) {
        self.storage = storage
    }

    /// Allocates `count` bytes and lets `fill` write them; the result owns the allocation.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Void) throws(CheckpointError) {
        storage = try ByteStorage(count: count, fill: fill)
    }

    /// Copies `bytes`.
    public init(_ bytes: some Collection<UInt8>) throws(CheckpointError) {
        storage = try ByteStorage(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    public var count: Int { storage.count }

    /// Calls `body` with the bytes; the pointer must not escape the closure.
    public func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: storage.count == 0 ? nil : storage.base, count: storage.count))
    }

    /// A copy of the bytes as an array, for tests and small tensors.
    public var array: [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}
