import ArgumentParser
import TensorIO

/// `--compress none|deflate[:LEVEL]|gzip[:LEVEL]`: how the writers compress.
struct CompressionOption: OptionValue, Equatable {
    var compression: WriteOptions.Compression

    init?(parsing text: String) {
        if text == "none" || text == "stored" {
            compression = .stored
            return
        }
        // gzip is HDF5's (and h5py's) name for the same DEFLATE compression.
        for method in ["deflate", "gzip"] {
            if text == method {
                compression = .deflate(level: 6)
                return
            }
            if text.hasPrefix(method + ":"), let level = Int(text.dropFirst(method.count + 1)), (1...9).contains(level) {
                compression = .deflate(level: level)
                return
            }
        }
        return nil
    }

    static func invalidMessage(_ text: String) -> String {
        "--compress must be 'none', 'deflate[:LEVEL]' or 'gzip[:LEVEL]' with LEVEL 1-9, not '\(text)'"
    }
}
