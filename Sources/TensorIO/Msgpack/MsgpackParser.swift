/// A bounds-checked reader of the msgpack subset Flax's `msgpack_serialize` writes: maps,
/// arrays, strings, binary data, integers, floats, booleans, nil and ext values.
///
/// It never copies binary data: `bin` and `ext` payloads come back as byte ranges of the
/// input, so a mapped checkpoint's tensors are borrowed, not read.
struct MsgpackParser {
    enum Value {
        case map([(key: Value, value: Value)])
        case array([Value])
        case string(String)
        case binary(Range<Int>)
        case ext(type: Int8, Range<Int>)
        case integer(Int64)
        case unsigned(UInt64)
        case double(Double)
        case boolean(Bool)
        case nil_
    }

    struct Malformed: Error {
        let offset: Int
        let reason: String
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int
    static let maxDepth = 64

    /// Called after every ``payloadBatch`` `bin` and `ext` payloads are passed over.
    private let afterPayloads: (() -> Void)?
    private var payloads = 0
    /// Payloads (arrays, in a Flax file) between two calls of `afterPayloads`.
    static let payloadBatch = 8

    /// - Parameter afterPayloads: called after every ``payloadBatch`` payloads, for a caller
    ///   whose `bytes` are a mapped file to give back the pages the parse touched so far: the
    ///   parse touches the headers around every array, spread through the file, and each first
    ///   touch maps a whole page-cache folio (up to 2 MB), so one pass over a file read in large
    ///   folios mapped a large part of it.
    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, afterPayloads: (() -> Void)? = nil) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
        self.afterPayloads = afterPayloads
    }

    /// Takes a `bin` or `ext` payload of `count` bytes, without reading it.
    private mutating func payload(_ count: Int) throws(Malformed) -> Range<Int> {
        let range = try take(count)
        payloads += 1
        if payloads % Self.payloadBatch == 0 { afterPayloads?() }
        return range
    }

    private mutating func take(_ count: Int) throws(Malformed) -> Range<Int> {
        guard count >= 0, count <= end - position else {
            throw Malformed(offset: position, reason: "needs \(count) bytes but only \(end - position) remain (truncated)")
        }
        defer { position += count }
        return position..<(position + count)
    }

    private mutating func byte() throws(Malformed) -> UInt8 {
        bytes[try take(1).lowerBound]
    }

    private mutating func big(_ count: Int) throws(Malformed) -> UInt64 {
        let range = try take(count)
        return range.reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
    }

    private mutating func length(_ count: Int) throws(Malformed) -> Int {
        let value = try big(count)
        guard value <= UInt64(end - position) || count == 0 else {
            throw Malformed(offset: position, reason: "declares \(value) items or bytes, more than the \(end - position) bytes left")
        }
        return Int(value)
    }

    mutating func value(depth: Int = 0) throws(Malformed) -> Value {
        guard depth < Self.maxDepth else { throw Malformed(offset: position, reason: "nesting deeper than \(Self.maxDepth) levels") }
        let start = position
        let tag = try byte()
        switch tag {
        case 0x00...0x7f: return .integer(Int64(tag))
        case 0xe0...0xff: return .integer(Int64(Int8(bitPattern: tag)))
        case 0x80...0x8f: return try map(count: Int(tag & 0x0f), depth: depth)
        case 0x90...0x9f: return try array(count: Int(tag & 0x0f), depth: depth)
        case 0xa0...0xbf: return try string(count: Int(tag & 0x1f))
        case 0xc0: return .nil_
        case 0xc2: return .boolean(false)
        case 0xc3: return .boolean(true)
        case 0xc4: return .binary(try payload(length(1)))
        case 0xc5: return .binary(try payload(length(2)))
        case 0xc6: return .binary(try payload(length(4)))
        case 0xc7: let n = try length(1); return try ext(count: n)
        case 0xc8: let n = try length(2); return try ext(count: n)
        case 0xc9: let n = try length(4); return try ext(count: n)
        case 0xca: return .double(Double(Float(bitPattern: UInt32(try big(4)))))
        case 0xcb: return .double(Double(bitPattern: try big(8)))
        case 0xcc: return .unsigned(try big(1))
        case 0xcd: return .unsigned(try big(2))
        case 0xce: return .unsigned(try big(4))
        case 0xcf: return .unsigned(try big(8))
        case 0xd0: return .integer(Int64(Int8(truncatingIfNeeded: try big(1))))
        case 0xd1: return .integer(Int64(Int16(truncatingIfNeeded: try big(2))))
        case 0xd2: return .integer(Int64(Int32(truncatingIfNeeded: try big(4))))
        case 0xd3: return .integer(Int64(bitPattern: try big(8)))
        case 0xd4: return try ext(count: 1)
        case 0xd5: return try ext(count: 2)
        case 0xd6: return try ext(count: 4)
        case 0xd7: return try ext(count: 8)
        case 0xd8: return try ext(count: 16)
        case 0xd9: return try string(count: length(1))
        case 0xda: return try string(count: length(2))
        case 0xdb: return try string(count: length(4))
        case 0xdc: return try array(count: length(2), depth: depth)
        case 0xdd: return try array(count: length(4), depth: depth)
        case 0xde: return try map(count: length(2), depth: depth)
        case 0xdf: return try map(count: length(4), depth: depth)
        default: throw Malformed(offset: start, reason: "byte 0x\(String(tag, radix: 16)) is not a msgpack type")
        }
    }

    private mutating func string(count: Int) throws(Malformed) -> Value {
        let range = try take(count)
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw Malformed(offset: range.lowerBound, reason: "a string is not valid UTF-8")
        }
        return .string(text)
    }

    private mutating func ext(count: Int) throws(Malformed) -> Value {
        let type = Int8(bitPattern: try byte())
        return .ext(type: type, try payload(count))
    }

    private mutating func array(count: Int, depth: Int) throws(Malformed) -> Value {
        var items: [Value] = []
        items.reserveCapacity(min(count, 1024))
        for _ in 0..<count { items.append(try value(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func map(count: Int, depth: Int) throws(Malformed) -> Value {
        var items: [(key: Value, value: Value)] = []
        items.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            let key = try value(depth: depth + 1)
            items.append((key, try value(depth: depth + 1)))
        }
        return .map(items)
    }
}
