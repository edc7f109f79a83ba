import ArgumentParser

/// A positive byte count as `--max-shard-size` takes it: Hugging Face's spellings (`5GB`, `500MB`,
/// `2GiB`) or a plain number of bytes.
///
/// As in `transformers`' `convert_file_size_to_int`, `KB`/`MB`/`GB`/`TB` are powers of 1000
/// and `KiB`/`MiB`/`GiB`/`TiB` powers of 1024. Units are case-insensitive here (Hugging Face
/// reads a lower-case `b` as bits, a trap this does not copy).
struct ByteSize: OptionValue, Equatable {
    var bytes: Int

    init?(parsing text: String) {
        guard let bytes = Self.parse(text), bytes > 0 else { return nil }
        self.bytes = bytes
    }

    static func invalidMessage(_ text: String) -> String {
        "--max-shard-size must be a positive size such as 5GB, 500MB, 2GiB or a number of bytes, not '\(text)'"
    }

    static func parse(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [
            ("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("TIB", 1 << 40),
            ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
            ("B", 1),
        ]
        let upper = text.uppercased()
        var digits = Substring(upper)
        var factor = 1
        if let unit = units.first(where: { upper.hasSuffix($0.suffix) }) {
            digits = upper.dropLast(unit.suffix.count)
            factor = unit.factor
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(digits) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: factor)
        return overflow ? nil : bytes
    }
}
