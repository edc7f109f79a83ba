extension NPYHeader {
    /// The header dict in exactly the form `np.save` writes it,
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (1024, 16, 64), }` then spaces and a
    /// newline, read straight from the bytes; nil for any other text, which the general
    /// ``PythonLiteralParser`` then reads (and refuses, when it must, with its message).
    ///
    /// Every text this accepts, the general parser reads to the same value: printable ASCII
    /// only (latin-1 and UTF-8 agree there), no escapes in the string, integers of at most 18
    /// digits (no overflow). It exists for speed: an npz holds one header per tensor, and the
    /// general parser was a sixth of listing ViT-L's 392.
    static func canonicalFields(_ text: some Collection<UInt8>) -> Fields? {
        var reader = CanonicalHeaderReader(bytes: Array(text))
        return reader.read()
    }

    /// ``canonicalFields(_:)`` as the literal the general parser gives (for tests that hold
    /// the two readers to the same values).
    static func canonicalLiteral(_ text: some Collection<UInt8>) -> PythonLiteral? {
        guard let fields = canonicalFields(text) else { return nil }
        return .dictionary(["descr": .string(fields.descr), "fortran_order": .boolean(fields.fortranOrder),
                            "shape": .tuple(fields.shape.map(PythonLiteral.integer))],
                           order: ["descr", "fortran_order", "shape"])
    }
}

/// A cursor over `np.save`'s header text; every step fails (nil) on anything unexpected.
private struct CanonicalHeaderReader {
    let bytes: [UInt8]
    var position = 0

    mutating func read() -> NPYHeader.Fields? {
        guard expect("{'descr': '"), let descr = string(),
              expect(", 'fortran_order': "), let fortranOrder = boolean(),
              expect(", 'shape': ("), let shape = shape(),
              expect(", }"), bytes[position...].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        else { return nil }
        return NPYHeader.Fields(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    mutating func expect(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count,
              bytes[position..<(position + count)].elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: count)) else { return false }
        position += count
        return true
    }

    /// The rest of a `'…'` string whose opening quote is read, and its closing quote.
    mutating func string() -> String? {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "'") {
            guard (0x20...0x7e).contains(bytes[position]), bytes[position] != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func boolean() -> Bool? {
        if expect("True") { return true }
        if expect("False") { return false }
        return nil
    }

    /// The items of a tuple whose `(` is read, and its `)`: `()`, `(5,)` or `(2, 3)`.
    mutating func shape() -> [Int]? {
        if expect(")") { return [] }
        var items: [Int] = []
        while true {
            guard let item = integer() else { return nil }
            items.append(item)
            if items.count == 1, expect(",)") { return items }
            if items.count > 1, expect(")") { return items }
            guard expect(", ") else { return nil }
        }
    }

    mutating func integer() -> Int? {
        let start = position
        var value = 0
        while position < bytes.count, position - start < 18, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        return position > start ? value : nil
    }
}
