/// The header of a `.npy` array: dtype, byte order, memory order and shape, and where the
/// data starts.
///
/// Parsing follows `numpy.lib.format` (versions 1.0, 2.0 and 3.0, a header size cap, exactly
/// the keys `descr`, `fortran_order` and `shape`) and rendering reproduces `np.save`'s bytes
/// exactly, spare growth spaces and 64-byte alignment included.
struct NPYHeader: Equatable {
    var dtype: DType
    var isBigEndian = false
    var isFortranOrder = false
    var shape: [Int]
    /// Offset of the array data from the start of the `.npy` bytes.
    var dataOffset = 0

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Bytes needed before the header length is known: magic, version, and a 4-byte length.
    static let preambleLength = 12

    /// Why a header was refused; the reader adds the file and tensor.
    struct Problem: Error {
        let kind: CheckpointError.Kind
        let reason: String
        var fix: SettingText? = nil
    }

    /// Reads the version and header length from the first bytes, and returns the offset of
    /// the header text and its length.
    static func parsePreamble(_ bytes: some Collection<UInt8>, maxHeaderBytes: Int) throws(Problem) -> (textOffset: Int, textLength: Int, version: UInt8) {
        let bytes = Array(bytes.prefix(preambleLength))
        guard bytes.count >= 6, bytes.prefix(6).elementsEqual(magic) else {
            throw Problem(kind: .malformed, reason: "not an .npy array (the magic bytes \\x93NUMPY are missing)")
        }
        guard bytes.count >= 10 else {
            throw Problem(kind: .truncated, reason: "truncated .npy header: \(bytes.count) bytes")
        }
        let major = bytes[6], minor = bytes[7]
        let textOffset: Int
        let textLength: Int
        switch (major, minor) {
        case (1, 0):
            textOffset = 10
            textLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else {
                throw Problem(kind: .truncated, reason: "truncated .npy header: \(bytes.count) bytes")
            }
            textOffset = 12
            textLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw Problem(kind: .unsupported, reason: "unsupported .npy format version \(major).\(minor); numpy defines 1.0, 2.0 and 3.0")
        }
        guard textLength <= maxHeaderBytes else {
            throw Problem(kind: .limitExceeded,
                reason: "the .npy header is \(textLength) bytes, over the limit of \(maxHeaderBytes) (numpy's max_header_size)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxNPYHeaderBytes)")
        }
        return (textOffset, textLength, major)
    }

    /// Parses the header text (the Python dict literal).
    static func parseText(_ textBytes: some Collection<UInt8>, version: UInt8, dataOffset: Int, options: ReadOptions) throws(Problem) -> NPYHeader {
        // `np.save`'s own form is read directly (an npz holds one header per tensor); any
        // other goes through the general literal parser, which gives the same values.
        let fields: Fields
        if let canonical = canonicalFields(textBytes) {
            fields = canonical
        } else {
            fields = try Self.fields(of: parseLiteral(textBytes, version: version))
        }
        guard fields.shape.count <= options.limits.maxRank else {
            throw Problem(kind: .limitExceeded, reason: "the shape has \(fields.shape.count) dimensions, over the limit of \(options.limits.maxRank)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
        }
        let decoded: NPYDescr.Decoded
        do {
            decoded = try NPYDescr.decode(fields.descr, opaqueTwoByteAsBFloat16: options.opaqueTwoByteAsBFloat16)
        } catch {
            throw Problem(kind: .unsupported, reason: error.reason, fix: error.fix)
        }
        guard Shape.byteCount(fields.shape, decoded.dtype) != nil else {
            throw Problem(kind: .limitExceeded, reason: "shape \(Shape.describe(fields.shape)) × \(decoded.dtype.byteCount) bytes overflows 64-bit sizes")
        }
        return NPYHeader(dtype: decoded.dtype, isBigEndian: decoded.isBigEndian, isFortranOrder: fields.fortranOrder,
                         shape: fields.shape, dataOffset: dataOffset)
    }

    /// The three entries of a header dict, typed.
    struct Fields: Equatable {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    /// The entries of a header parsed by the general parser, each checked for its type.
    private static func fields(of literal: PythonLiteral) throws(Problem) -> Fields {
        guard case .dictionary(let values, let order) = literal else {
            throw Problem(kind: .malformed, reason: "the .npy header is \(literal.kindDescription), not a dict")
        }
        guard Set(order) == ["descr", "fortran_order", "shape"] else {
            throw Problem(kind: .malformed,
                reason: "the .npy header has keys [\(order.sorted().joined(separator: ", "))], expected exactly descr, fortran_order, shape")
        }
        guard case .boolean(let fortranOrder)? = values["fortran_order"] else {
            throw Problem(kind: .malformed, reason: "fortran_order is \(values["fortran_order"]?.kindDescription ?? "missing"), not True or False")
        }
        guard case .tuple(let dimensions)? = values["shape"] else {
            throw Problem(kind: .malformed, reason: "shape is \(values["shape"]?.kindDescription ?? "missing"), not a tuple of integers")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension else {
                throw Problem(kind: .malformed, reason: "the shape contains \(dimension.kindDescription), not an integer")
            }
            guard size >= 0 else {
                throw Problem(kind: .malformed, reason: "the shape contains the negative dimension \(size)")
            }
            shape.append(size)
        }
        switch values["descr"] {
        case .string(let descr)?:
            return Fields(descr: descr, fortranOrder: fortranOrder, shape: shape)
        case .list?:
            throw Problem(kind: .unsupported, reason: "the array has a structured (record) dtype, which Tubelet does not support",
                fix: "Save each field as its own array")
        case let other:
            throw Problem(kind: .malformed, reason: "descr is \(other?.kindDescription ?? "missing"), not a dtype string")
        }
    }

    /// The header text as a Python literal, by the general parser: latin-1 text for versions
    /// 1 and 2, UTF-8 for 3.
    private static func parseLiteral(_ textBytes: some Collection<UInt8>, version: UInt8) throws(Problem) -> PythonLiteral {
        let text: String
        if version == 3 {
            guard let decoded = String(validating: Array(textBytes), as: UTF8.self) else {
                throw Problem(kind: .malformed, reason: "the version 3.0 header is not valid UTF-8")
            }
            text = decoded
        } else {
            // Latin-1; headers are ASCII in practice, which is the same bytes in UTF-8.
            if textBytes.allSatisfy({ $0 < 0x80 }) {
                text = String(decoding: textBytes, as: UTF8.self)
            } else {
                text = String(String.UnicodeScalarView(textBytes.map { Unicode.Scalar($0) }))
            }
        }
        do {
            return try PythonLiteralParser.parse(text)
        } catch {
            throw Problem(kind: .malformed, reason: "malformed .npy header at column \(error.column): \(error.message)")
        }
    }

    /// Parses a whole header from the start of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, options: ReadOptions) throws(Problem) -> NPYHeader {
        let preamble = try parsePreamble(bytes, maxHeaderBytes: options.limits.maxNPYHeaderBytes)
        let end = preamble.textOffset + preamble.textLength
        guard end <= bytes.count else {
            throw Problem(kind: .truncated, reason: "the .npy header declares \(preamble.textLength) bytes but the data ends after \(bytes.count - preamble.textOffset)")
        }
        return try parseText(bytes[preamble.textOffset..<end], version: preamble.version, dataOffset: end, options: options)
    }

    var byteCount: Int { Shape.byteCount(shape, dtype) ?? 0 }

    /// The header bytes `np.save` writes for a little-endian, C-order array of this dtype and
    /// shape: sorted keys, Python reprs, 21 − len(repr(shape[0])) spare spaces, and padding
    /// so the data starts on a 64-byte boundary.
    static func render(dtype: DType, shape: [Int]) -> [UInt8] {
        let shapeText: String = switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var text = "{'descr': '\(NPYDescr.encode(dtype))', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first {
            text += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        var body = Array(text.utf8)
        let lengthFieldSize = body.count + 1 + 64 + 10 > 65_535 ? 4 : 2
        let unpadded = 8 + lengthFieldSize + body.count + 1
        let padding = 64 - unpadded % 64
        body += [UInt8](repeating: 0x20, count: padding)
        body.append(0x0a)
        var header = magic
        if lengthFieldSize == 2 {
            header += [1, 0, UInt8(body.count & 0xff), UInt8(body.count >> 8)]
        } else {
            header += [2, 0] + (0..<4).map { UInt8((body.count >> (8 * $0)) & 0xff) }
        }
        return header + body
    }
}
