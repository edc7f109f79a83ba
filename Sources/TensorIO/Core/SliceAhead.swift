import Dispatch

/// The next slice of a streamed tensor, being computed on another thread while the current
/// one is written.
///
/// A writer hands each slice to the kernel, and copying it into the page cache keeps one core
/// busy; computing the next slice (a transpose, a random draw) meanwhile on the other core
/// takes that time off the run. ``TensorBytesReader`` starts one of these for each slice of a
/// tensor made with `computedAhead` (``TensorBytes/init(count:computedAhead:streaming:)``) and
/// waits for it when the writer asks for the next slice; the filler is still called with
/// consecutive buffers, one call at a time.
final class SliceAhead: @unchecked Sendable {
    /// Where the slice lies in the tensor.
    let range: Range<Int>
    private let buffer: PageBuffer
    private let done = DispatchSemaphore(value: 0)
    /// The filler's error; written by the computing thread before `done` is signalled, read
    /// only after waiting for it.
    private var failure: CheckpointError?
    private var finished = false

    /// Starts filling the first `range.count` bytes of `buffer` with `filler`.
    init(range: Range<Int>, into buffer: PageBuffer, filler: @escaping TensorBytes.Filler) {
        self.range = range
        self.buffer = buffer
        let filler = UncheckedFiller(fill: filler)
        DispatchQueue.global().async { [self] in
            do throws(CheckpointError) {
                try filler.fill(UnsafeMutableRawBufferPointer(rebasing: self.buffer.bytes[0..<self.range.count]))
            } catch {
                failure = error
            }
            done.signal()
        }
    }

    /// Waits for the slice: the buffer holding it, or the filler's error.
    func wait() throws(CheckpointError) -> PageBuffer {
        waitUntilFinished()
        if let failure { throw failure }
        return buffer
    }

    /// Waits for the computing thread to be done with the filler and the buffer, however it
    /// ended (a reader going away mid-tensor must not leave it running).
    func waitUntilFinished() {
        guard !finished else { return }
        done.wait()
        finished = true
    }

    /// The filler, handed to one other thread: the reader calls it no more until that thread
    /// is done with it.
    private struct UncheckedFiller: @unchecked Sendable {
        let fill: TensorBytes.Filler
    }
}
