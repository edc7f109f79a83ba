import FoundationEssentials
import Porting
import TensorIO

/// The result of `tubelet inspect`, printed as a table or as one JSON document.
///
/// JSON fields (keys sorted): the ``DocumentHeader`` (`tubelet.inspect`), `file`, `format` (the file's), `filter` (or null), `metadata` (string →
/// string), `tensors` (each `name`, `dtype`, `shape`, `parameters`, `bytes`, and with
/// `--stats` a `stats` object of `count`, `min`, `max`, `mean`, `std`, `nan_count`,
/// `inf_count`; the four value fields are over finite values and null when there are none),
/// `totals` (`tensors`, `parameters`, `bytes`) over the listed tensors, and `layout` (see
/// ``LayoutReport``).
struct InspectReport: Encodable {
    struct TensorRow: Encodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var parameters: Int
        var bytes: Int
        var stats: Stats?

        init(_ info: TensorInfo) {
            name = info.name
            dtype = info.dtype.rawValue
            shape = info.shape
            parameters = info.elementCount
            bytes = info.byteCount
        }
    }

    struct Stats: Encodable {
        var count: Int
        var min: Double?
        var max: Double?
        var mean: Double?
        var std: Double?
        var nanCount: Int
        var infCount: Int

        init(_ statistics: TensorStatistics) {
            count = statistics.count
            min = statistics.min
            max = statistics.max
            mean = statistics.mean
            std = statistics.std
            nanCount = statistics.nanCount
            infCount = statistics.infCount
        }

        enum CodingKeys: String, CodingKey {
            case count, min, max, mean, std
            case nanCount = "nan_count"
            case infCount = "inf_count"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(count, forKey: .count)
            try container.encode(min, forKey: .min)
            try container.encode(max, forKey: .max)
            try container.encode(mean, forKey: .mean)
            try container.encode(std, forKey: .std)
            try container.encode(nanCount, forKey: .nanCount)
            try container.encode(infCount, forKey: .infCount)
        }
    }

    struct Totals: Encodable {
        var tensors: Int
        var parameters: Int
        var bytes: Int
    }

    var file: String
    var format: String
    var filter: String?
    var metadata: [String: String]
    var tensors: [TensorRow]
    var layout: LayoutReport
    var totals: Totals

    func encode(to encoder: any Encoder) throws {
        enum Keys: String, CodingKey { case file, format, filter, metadata, tensors, totals, layout }
        try DocumentHeader.inspect.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file, forKey: .file)
        try container.encode(format, forKey: .format)
        try container.encode(filter, forKey: .filter)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(tensors, forKey: .tensors)
        try container.encode(totals, forKey: .totals)
        try container.encode(layout, forKey: .layout)
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // A std over values near the float64 maximum can itself overflow; JSON has no Inf.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Metadata entries shown in full before the rest are folded into a count: a Keras 3 file
    /// carries dozens of layer configs, which would bury the tensors.
    static let metadataShown = 8

    func table(showStats: Bool, verbose: Bool = false) -> String {
        var header = ["NAME", "DTYPE", "SHAPE", "PARAMS", "BYTES"]
        if showStats { header += ["MIN", "MAX", "MEAN", "STD", "NAN", "INF"] }
        var rows = [header]
        for tensor in tensors {
            var row = [tensor.name, tensor.dtype, Shape.describe(tensor.shape), Self.grouped(tensor.parameters),
                       ByteCountText.format(tensor.bytes)]
            if showStats, let stats = tensor.stats {
                row += [stats.min, stats.max, stats.mean, stats.std].map { $0.map(Self.short) ?? "-" }
                row += [String(stats.nanCount), String(stats.infCount)]
            }
            rows.append(row)
        }
        let rightAligned: Set<Int> = showStats ? [3, 4, 5, 6, 7, 8, 9, 10] : [3, 4]
        var text = TextTable.render(rows, rightAligned: rightAligned)
        let noun = totals.tensors == 1 ? "tensor" : "tensors"
        text += "\(file): \(format), \(totals.tensors) \(noun), \(Self.grouped(totals.parameters)) parameters, \(ByteCountText.format(totals.bytes))"
        if let filter { text += " matching '\(filter)'" }
        text += "\n" + layout.line + "\n"
        if !metadata.isEmpty {
            text += "metadata:\n"
            let keys = metadata.keys.sorted()
            let shownKeys = verbose ? keys : Array(keys.prefix(Self.metadataShown))
            for key in shownKeys {
                let value = metadata[key] ?? ""
                let limit = verbose ? 2_000 : 200
                let shown = value.count > limit ? String(value.prefix(limit)) + "… (\(value.count) characters)" : value
                text += "  \(key) = \(shown.replacing("\n", with: "\\n"))\n"
            }
            if shownKeys.count < keys.count {
                text += "  … \(keys.count - shownKeys.count) more entries (--verbose shows them, --json in full)\n"
            }
        }
        return text
    }

    /// `86,567,656`: parameter counts are read at a glance with separators.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value).utf8)
        var result: [UInt8] = []
        result.reserveCapacity(digits.count + digits.count / 3)
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(UInt8(ascii: ",")) }
            result.append(digit)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Four significant digits, the precision a glance at a weight distribution needs.
    static func short(_ value: Double) -> String {
        significantDigits4(value)
    }
}
