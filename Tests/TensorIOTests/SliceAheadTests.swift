#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import TensorIO

/// Tensors computed ahead (the next slice on another thread while the current one is used)
/// give the same bytes, call their filler as a stream (consecutive buffers, one call at a
/// time), report a filler's error at the slice it belongs to, and never leave a filler running
/// after their reader goes.
@Suite("Slices computed ahead")
struct SliceAheadTests {
    /// What a filler saw: the byte ranges it was asked for, in order, and whether two calls
    /// ever overlapped.
    final class Calls: Sendable {
        let state = Mutex((ranges: [Range<Int>](), running: false, overlapped: false, finished: 0))
    }

    /// `count` bytes, byte `i` = `i % 251`, computed ahead by a filler that logs to `calls`,
    /// sleeps `pause` microseconds per call (so overlaps would show) and throws on call
    /// `failingCall` (counting from 0).
    func tensor(count: Int, calls: Calls, pause: UInt32 = 2_000, failingCall: Int? = nil) -> TensorBytes {
        TensorBytes(count: count, computedAhead: true) { () -> TensorBytes.Filler in
            var position = 0
            return { (buffer) throws(CheckpointError) in
                let call = calls.state.withLock { state in
                    if state.running { state.overlapped = true }
                    state.running = true
                    state.ranges.append(position..<(position + buffer.count))
                    return state.ranges.count - 1
                }
                usleep(pause)
                defer { calls.state.withLock { $0.running = false; $0.finished += 1 } }
                if call == failingCall {
                    throw CheckpointError(.malformed, file: "t", tensor: "w", "slice \(call) failed")
                }
                for index in 0..<buffer.count { buffer[index] = UInt8((position + index) % 251) }
                position += buffer.count
            }
        }
    }

    @Test("Bytes computed ahead equal the bytes computed in turn; the filler sees consecutive buffers, one at a time")
    func sameBytes() throws {
        let count = TensorBytes.sliceBytes * 3 + 12_345
        let calls = Calls()
        var seen: [UInt8] = []
        try tensor(count: count, calls: calls).forEachSlice { seen.append(contentsOf: $0) }
        #expect(seen.count == count)
        #expect(seen.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) })
        let state = calls.state.withLock { $0 }
        #expect(state.ranges == [0..<TensorBytes.sliceBytes, TensorBytes.sliceBytes..<(2 * TensorBytes.sliceBytes),
                                 (2 * TensorBytes.sliceBytes)..<(3 * TensorBytes.sliceBytes), (3 * TensorBytes.sliceBytes)..<count])
        #expect(!state.overlapped)
    }

    @Test("A filler's error computing ahead is thrown when its slice is wanted, after the slices before it")
    func errorAtItsSlice() {
        let calls = Calls()
        var delivered = 0
        #expect(throws: CheckpointError.self) {
            try tensor(count: TensorBytes.sliceBytes * 4, calls: calls, failingCall: 2).forEachSlice { _ in delivered += 1 }
        }
        #expect(delivered == 2)
        // The failed slice was the last one computed: nothing ran past the error.
        #expect(calls.state.withLock { $0.ranges.count } == 3)
    }

    @Test("A reader that goes away mid-tensor waits for the slice being computed ahead")
    func readerGoesAway() throws {
        let calls = Calls()
        do {
            let reader = tensor(count: TensorBytes.sliceBytes * 3, calls: calls, pause: 50_000).reader()
            _ = try reader.next(upTo: 100)
        }
        // The first slice, and the second started ahead: both finished once the reader is gone.
        let state = calls.state.withLock { $0 }
        #expect(state.ranges.count == 2)
        #expect(state.finished == 2)
        #expect(!state.running)
    }
}
