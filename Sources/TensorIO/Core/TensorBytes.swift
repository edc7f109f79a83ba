/// The data of a tensor: row-major, little-endian bytes, owned or borrowed from a mapped file,
/// or streamed: computed slice by slice as they are read.
///
/// Copying a `TensorBytes` shares the underlying block; nothing is copied. The pointer given
/// to ``withUnsafeBytes(_:)`` is valid only inside the closure and may be unaligned (old
/// `.npy` files align data to 16 bytes, zip members to nothing), so read elements with
/// `loadUnaligned`.
///
/// Writers and elementwise transforms read bytes in order through ``reader()`` or
/// ``forEachSlice(_:)``, which hand out at most ``sliceBytes`` at a time: a streamed tensor is
/// then never whole in memory, and the pages of a large borrowed one are given back to the
/// kernel behind the read position, so memory stays at a few slices whatever the tensor's size.
public struct TensorBytes: Sendable {
    /// Fills the next `buffer.count` bytes of a streamed tensor. Called with consecutive
    /// buffers from the first byte on; every buffer's size is a multiple of the element size
    /// the producer was made for.
    public typealias Filler = (UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Void

    enum Representation: Sendable {
        case stored(ByteStorage)
        case streamed(count: Int, makeFiller: @Sendable () throws(CheckpointError) -> Filler)
    }

    let representation: Representation

    /// The zip CRC-32 of these bytes, when the reader already knows it: an npz member checked
    /// against its CRC gives its data's CRC for nothing, and a zip writer then copies the
    /// bytes without a second pass to checksum them. Bytes made from these (a cast, a slice)
    /// are new bytes and carry none.
    private(set) var knownCRC32: UInt32?

    /// Whether a reader computes the slice after the one it hands out on another thread
    /// (``SliceAhead``): set for fillers that only compute from memory or `pread` a file, so
    /// that calling them on another thread cannot wait on anything the writer holds (a filler
    /// that reads libhdf5 would wait on its lock).
    private(set) var computedAhead = false

    /// The same bytes, whose CRC-32 is known to be `crc`.
    func knowingCRC32(_ crc: UInt32) -> TensorBytes {
        var bytes = self
        bytes.knownCRC32 = crc
        return bytes
    }

    /// The size of the slices streamed tensors are computed in and large tensors are read in:
    /// a multiple of every element size, large enough that per-slice costs vanish, small
    /// enough that a few of them stay far below the 64 MB memory budget.
    public static let sliceBytes = 4 << 20

    init(storage: ByteStorage) {
        representation = .stored(storage)
    }

    /// Allocates `count` bytes and lets `fill` write them; the result owns the allocation.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Void) throws(CheckpointError) {
        representation = .stored(try ByteStorage(count: count, fill: fill))
    }

    /// Copies `bytes`.
    public init(_ bytes: some Collection<UInt8>) throws(CheckpointError) {
        representation = .stored(try ByteStorage(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        })
    }

    /// `count` bytes computed on demand: each pass over them calls `makeFiller` for a fresh
    /// filler and then fills slices in order (see ``Filler``). Nothing is allocated up front.
    /// With `computedAhead`, a reader fills the next slice on another thread while the current
    /// one is used; only for fillers that compute from memory or `pread` a file, and take no
    /// lock (see ``computedAhead``).
    public init(count: Int, computedAhead: Bool = false, streaming makeFiller: @escaping @Sendable () throws(CheckpointError) -> Filler) {
        representation = .streamed(count: count, makeFiller: makeFiller)
        self.computedAhead = computedAhead
    }

    public var count: Int {
        switch representation {
        case .stored(let storage): storage.count
        case .streamed(let count, _): count
        }
    }

    /// Bytes `range` as bytes of their own, when these are borrowed from a mapped file (the
    /// slice borrows the same file, so a writer can still have the kernel copy it); nil for
    /// bytes in memory or computed on demand.
    func borrowedSlice(_ range: Range<Int>) -> TensorBytes? {
        guard case .stored(let storage) = representation, let (file, _) = storage.fileRange,
              range.lowerBound >= 0, range.upperBound <= storage.count else { return nil }
        return TensorBytes(storage: ByteStorage(borrowing: storage.base + range.lowerBound, count: range.count, from: file))
    }

    /// Whether the bytes are computed on demand rather than held in memory.
    public var isStreamed: Bool {
        if case .streamed = representation { return true }
        return false
    }

    /// The bytes in memory, computing a streamed tensor whole: for random access (a
    /// permutation's input, statistics) where the caller accepts a tensor-sized buffer.
    public func materialised() throws(CheckpointError) -> TensorBytes {
        guard case .streamed(let count, _) = representation else { return self }
        let reader = reader()
        return try TensorBytes(count: count) { (buffer) throws(CheckpointError) in
            try reader.read(into: buffer)
        }
    }

    /// Calls `body` with the bytes; the pointer must not escape the closure. A streamed tensor
    /// is computed whole first: code that can fail calls ``materialised()`` itself and gets
    /// the error, this one traps on it (tests and small tensors only).
    public func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        switch representation {
        case .stored(let storage):
            return try body(UnsafeRawBufferPointer(start: storage.count == 0 ? nil : storage.base, count: storage.count))
        case .streamed:
            guard let whole = try? materialised(), case .stored(let storage) = whole.representation else {
                preconditionFailure("a streamed tensor could not be computed; call materialised() first")
            }
            return try body(UnsafeRawBufferPointer(start: storage.count == 0 ? nil : storage.base, count: storage.count))
        }
    }

    /// Calls `body` with the bytes in order, at most ``sliceBytes`` at a time (each slice a
    /// multiple of 8 bytes except the last), so a pass over them holds about one slice.
    public func forEachSlice(_ body: (UnsafeRawBufferPointer) throws(CheckpointError) -> Void) throws(CheckpointError) {
        let reader = reader()
        while true {
            let slice = try reader.next(upTo: Self.sliceBytes)
            if slice.isEmpty { return }
            try body(slice)
        }
    }

    /// A reader of the bytes in order.
    public func reader() -> TensorBytesReader {
        TensorBytesReader(self)
    }

    /// A copy of the bytes as an array, for tests and small tensors.
    public var array: [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}

/// Reads a ``TensorBytes`` front to back, a slice at a time.
///
/// Held bytes are handed out in place; the whole pages of a large borrowed block are released
/// behind the read position (the kernel keeps them in its page cache, a second pass faults
/// them back in). Streamed bytes are computed into one reused buffer of ``TensorBytes/sliceBytes``,
/// or two when computed ahead (the slice handed out, and the next one being filled).
public final class TensorBytesReader {
    private let bytes: TensorBytes
    public private(set) var position = 0
    private var filler: TensorBytes.Filler?
    /// The computed slice of a streamed tensor, and where it starts and ends in the tensor.
    private var scratch: PageBuffer?
    private var scratchRange = 0..<0
    /// The slice after `scratch`, being computed on another thread (bytes `computedAhead`),
    /// and the buffer the one after that goes in.
    private var ahead: SliceAhead?
    private var spare: PageBuffer?
    /// Bytes `0..<released` of a borrowed block have been handed back to the kernel.
    private var released = 0

    /// Borrowed blocks at least this large release their pages as they are read; smaller ones
    /// are few megabytes at most and are released whole when their tensor goes.
    static let releaseThreshold = 8 << 20

    init(_ bytes: TensorBytes) {
        self.bytes = bytes
    }

    deinit {
        ahead?.waitUntilFinished()
    }

    public var remaining: Int { bytes.count - position }

    /// The next bytes, at most `limit` of them (fewer at the end of a computed slice or of the
    /// tensor; empty only at the end). Valid until the next call.
    public func next(upTo limit: Int) throws(CheckpointError) -> UnsafeRawBufferPointer {
        let count = min(limit, remaining)
        guard count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        switch bytes.representation {
        case .stored(let storage):
            let start = position
            position += count
            if storage.isBorrowed, storage.count >= Self.releaseThreshold, position - released >= TensorBytes.sliceBytes * 2 {
                // Release what the previous call handed out, never the slice returned now.
                storage.releasePages(released..<start)
                released = start
            }
            return UnsafeRawBufferPointer(start: storage.base + start, count: count)
        case .streamed(_, let makeFiller):
            if !scratchRange.contains(position) {
                try computeSlice(makeFiller)
            }
            let available = min(count, scratchRange.upperBound - position)
            let offset = position - scratchRange.lowerBound
            position += available
            guard let scratch else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch.bytes)[offset..<(offset + available)])
        }
    }

    /// Makes the slice that starts at `position` the scratch slice: the one computed ahead, or
    /// computed now; then starts computing the next one ahead where the bytes allow it.
    private func computeSlice(_ makeFiller: () throws(CheckpointError) -> TensorBytes.Filler) throws(CheckpointError) {
        if filler == nil { filler = try makeFiller() }
        guard let filler else { return }
        if let ahead {
            // Slices are read in order, so the one computed ahead is the one wanted now.
            self.ahead = nil
            let buffer = try ahead.wait()
            spare = scratch
            scratch = buffer
            scratchRange = ahead.range
        } else {
            if scratch == nil { scratch = try PageBuffer(count: TensorBytes.sliceBytes) }
            guard let buffer = scratch else { return }
            let sliceCount = min(TensorBytes.sliceBytes, remaining)
            try filler(UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[0..<sliceCount]))
            scratchRange = position..<(position + sliceCount)
        }
        let next = scratchRange.upperBound
        if bytes.computedAhead, next < bytes.count {
            let buffer: PageBuffer
            if let spare { buffer = spare } else { buffer = try PageBuffer(count: TensorBytes.sliceBytes) }
            spare = nil
            ahead = SliceAhead(range: next..<min(next + TensorBytes.sliceBytes, bytes.count), into: buffer, filler: filler)
        }
    }

    /// Copies the next `buffer.count` bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        var filled = 0
        while filled < buffer.count {
            let piece = try next(upTo: buffer.count - filled)
            guard let base = piece.baseAddress, let target = buffer.baseAddress, !piece.isEmpty else {
                throw CheckpointError(.malformed, file: "<memory>", "a tensor ended \(buffer.count - filled) bytes early")
            }
            (target + filled).copyMemory(from: base, byteCount: piece.count)
            filled += piece.count
        }
    }
}
