#if canImport(Glibc)
import Glibc
#endif
import TensorIO

/// Writes a line to stderr: notes and progress never mix with stdout's results.
func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = write(STDERR_FILENO, base + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

/// How much the run narrates; set once from `--quiet` before any work.
enum Console {
    nonisolated(unsafe) static var quiet = false
}

/// A note about the run (what was read, assumed, left out, written) on stderr, unless
/// `--quiet`. Errors are never notes: they always print.
func printNote(_ text: String) {
    if !Console.quiet { printError(text) }
}

/// Notes the temporary files a killed tubelet run left beside `output` (a SIGKILL or power
/// loss gives it no chance to remove them). They are never at the output's name, so the
/// output itself is whole; only the user can tell whether another machine is still writing
/// one, so they are named rather than removed.
func noteStaleTemporaries(beside output: String) {
    // Temporaries are made beside the file a symbolic link leads to.
    let target = (try? OutputTarget.resolve(output)) ?? output
    for (path, process) in AtomicOutput.staleTemporaries(beside: target) {
        printNote("note: \(path) was left by an interrupted tubelet run (process \(process) has ended); delete it unless another machine is writing \(output)")
    }
}

/// Human-readable byte counts: `1.2 GB`, `340 kB`, in powers of 1000 as `ls --si` prints.
enum ByteCountText {
    static func format(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = value >= 100 ? String(Int(value.rounded())) : String(format1(value))
        return "\(rounded) \(units[unit])"
    }

    private static func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// `value` as C's `printf("%.4g")` writes it: four significant digits, the precision a glance
/// at a weight distribution or a FLOP count needs.
func significantDigits4(_ value: Double) -> String {
    withVaList([value]) { arguments in
        var buffer = [CChar](repeating: 0, count: 40)
        _ = vsnprintf(&buffer, buffer.count, "%.4g", arguments)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
