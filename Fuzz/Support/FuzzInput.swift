#if canImport(Glibc)
import Glibc
#endif
@testable import TensorIO

/// What every fuzz target shares: the input as a file (for readers that take a path) and a
/// full read of a source.
enum FuzzInput {
    /// Writes `bytes` to a per-process file in /dev/shm (memory, so the disk is not worn) and
    /// returns its path, with `suffix` as its extension.
    static func file(_ bytes: UnsafeRawBufferPointer, suffix: String) -> String {
        let path = "/dev/shm/tubelet-fuzz-\(getpid()).\(suffix)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { fatalError("cannot create \(path)") }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let result = write(descriptor, base + written, bytes.count - written)
            guard result > 0 else { fatalError("cannot write \(path)") }
            written += result
        }
        close(descriptor)
        return path
    }

    /// Reads every tensor of `source` whose size is sane for a fuzzer (large claims are
    /// still opened and checked; reading them would only measure the allocator). A
    /// `CheckpointError` is the expected outcome of most inputs.
    static func drain(_ source: any TensorSource) {
        for info in source.tensors where info.byteCount <= 1 << 24 {
            _ = try? source.read(info.name)
        }
        _ = source.metadata
    }

    /// The limits a fuzzer runs with: the defaults, but with sizes a fuzz process can afford
    /// (libFuzzer's -rss_limit_mb is 2 GB), so an allocation the limits allow is not a finding.
    static var options: ReadOptions {
        var options = ReadOptions()
        options.limits.maxDecompressedBytes = 64 << 20
        return options
    }
}
