#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TensorIO

/// The progress bar long commands draw on stderr: bytes done of the total, rate and time
/// left, redrawn in place at most ten times a second.
///
/// It appears only when stderr is a terminal (and the command is not writing JSON), so
/// scripts, logs and pipes see nothing; `--progress` asks for it anyway, and then, on a
/// non-terminal, it prints a plain line every few seconds instead of redrawing one.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let interactive: Bool
    private let lock = Mutex(())
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    init(label: String, interactive: Bool) {
        self.label = label
        self.interactive = interactive
        start = clock.now
    }

    /// A bar for `label`, or nil when none should be shown.
    static func make(_ label: String, json: Bool = false, forced: Bool) -> ProgressBar? {
        let terminal = isatty(STDERR_FILENO) == 1
        guard forced || (terminal && !json) else { return nil }
        return ProgressBar(label: label, interactive: terminal)
    }

    /// The handler to give ``WriteOptions/progress``.
    var handler: ProgressHandler {
        { [self] progress in update(progress) }
    }

    func update(_ progress: TensorProgress) {
        lock.withLock { _ in
            let now = clock.now
            let finished = progress.bytesDone >= progress.bytesTotal && progress.tensorsDone >= progress.tensorsTotal
            let interval: Duration = interactive ? .milliseconds(100) : .seconds(2)
            if !finished, let lastDraw, now - lastDraw < interval { return }
            lastDraw = now
            if finished && interactive {
                clearLine()
                return
            }
            let text = Self.render(progress, elapsed: seconds(now - start), label: label)
            if interactive {
                writeStderr("\r\u{1B}[2K" + text)
                drawn = true
            } else {
                writeStderr(text + "\n")
            }
        }
    }

    /// Removes the bar, so what follows (the result, or an error) starts on a clean line.
    func clear() {
        lock.withLock { _ in clearLine() }
    }

    private func clearLine() {
        if drawn { writeStderr("\r\u{1B}[2K") }
        drawn = false
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `inflate [########--------]  52%  640 MB / 1.2 GB  410 MB/s  0:01 left`
    static func render(_ progress: TensorProgress, elapsed: Double, label: String) -> String {
        let total = max(progress.bytesTotal, 1)
        let fraction = min(1, Double(progress.bytesDone) / Double(total))
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var text = "\(label) [\(bar)] \(String(Int((fraction * 100).rounded(.down))).leftPadded(3))%  "
            + "\(ByteCountText.format(progress.bytesDone)) / \(ByteCountText.format(progress.bytesTotal))"
        if elapsed >= 0.5, progress.bytesDone > 0 {
            let rate = Double(progress.bytesDone) / elapsed
            text += "  \(ByteCountText.format(Int(rate)))/s"
            let left = Int((Double(progress.bytesTotal - progress.bytesDone) / rate).rounded(.up))
            text += "  \(left / 60):\(String(left % 60).leftPadded(2, with: "0")) left"
        }
        return text
    }
}

private func writeStderr(_ text: String) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count, let base = buffer.baseAddress {
            let written = write(STDERR_FILENO, base + offset, buffer.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
