internal import CHDF5

/// One attribute of an HDF5 object (the root group, a group or a dataset), decoded.
///
/// Attributes become checkpoint metadata, which is string → string: a scalar attribute gives
/// its value as text (`"tensorflow"`, `"3"`, `"0.5"`), an array gives a JSON array of its
/// elements in C order (`["dense", "ln"]`, `[1, 2]`), an empty (null-dataspace) attribute gives
/// `""`. Strings of every storage kind read the same: fixed-length (null-terminated,
/// null-padded or space-padded) or variable-length, ASCII or UTF-8. Types that have no text
/// form (compound, reference, opaque, …) are described rather than shown, so one odd
/// attribute never makes a file unreadable.
struct HDF5Attribute: Sendable {
    enum Values: Sendable, Equatable {
        case strings([String])
        /// Numbers already written as text (JSON number syntax, plus Python's NaN/Infinity).
        case numbers([String])
        case booleans([Bool])
        /// A type with no text form, described.
        case unreadable(String)
    }

    var name: String
    var values: Values
    /// Stored with a scalar dataspace (one value, no brackets in the text form).
    var isScalar: Bool
    /// Stored with a null dataspace (h5py's `Empty`): no value at all.
    var isNull = false

    /// The attribute as a metadata value.
    var text: String {
        if isNull { return "" }
        switch values {
        case .unreadable(let description): return description
        case .strings(let strings):
            return isScalar && strings.count == 1 ? strings[0] : "[" + strings.map(Self.jsonString).joined(separator: ", ") + "]"
        case .numbers(let numbers):
            return isScalar && numbers.count == 1 ? numbers[0] : "[" + numbers.joined(separator: ", ") + "]"
        case .booleans(let booleans):
            let words = booleans.map { $0 ? "true" : "false" }
            return isScalar && words.count == 1 ? words[0] : "[" + words.joined(separator: ", ") + "]"
        }
    }

    /// The attribute as a list of strings, as Keras stores `layer_names` and `weight_names`:
    /// strings of any kind, scalar or 1-D; an empty numeric array (Keras writes an empty list
    /// as float64 of shape (0,)) is an empty list. Nil for anything else.
    var stringList: [String]? {
        if isNull { return [] }
        return switch values {
        case .strings(let strings): strings
        case .numbers(let numbers) where numbers.isEmpty: []
        default: nil
        }
    }

    /// A short name of the attribute's kind, for messages.
    var kindDescription: String {
        switch values {
        case .strings: "string"
        case .numbers: "numeric"
        case .booleans: "boolean"
        case .unreadable(let description): description
        }
    }

    // MARK: - Reading

    /// Every attribute of the open object `object`, in name order.
    /// - Parameter objectPath: the object's path, for messages.
    /// Call inside ``HDF5Library/withLock(_:)``.
    static func readAll(of object: hid_t, objectPath: String, file: String) throws(CheckpointError) -> [HDF5Attribute] {
        var names: [String] = []
        var index: hsize_t = 0
        let status = withUnsafeMutablePointer(to: &names) { pointer in
            H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                guard let name, let context else { return -1 }
                let names = context.assumingMemoryBound(to: [String].self)
                guard names.pointee.count < HDF5Limits.maxAttributesPerObject else { return 1 }
                names.pointee.append(String(cString: name))
                return 0
            }, UnsafeMutableRawPointer(pointer))
        }
        guard status >= 0 else {
            throw CheckpointError(.malformed, file: file, tensor: displayPath(objectPath),
                HDF5ErrorStack.current().reason("cannot list the attributes"), fix: "The file is corrupt; re-save it")
        }
        guard names.count < HDF5Limits.maxAttributesPerObject else {
            throw CheckpointError(.limitExceeded, file: file, tensor: displayPath(objectPath),
                "the object has more than \(HDF5Limits.maxAttributesPerObject) attributes")
        }
        var attributes: [HDF5Attribute] = []
        for name in names {
            attributes.append(try read(name, of: object, objectPath: objectPath, file: file))
        }
        return attributes
    }

    /// The attribute `name` of `object`.
    private static func read(_ name: String, of object: hid_t, objectPath: String, file: String) throws(CheckpointError) -> HDF5Attribute {
        let at = objectPath.isEmpty ? "attribute '\(name)' of the root group" : "attribute '\(name)'"
        func failure(_ doing: String) -> CheckpointError {
            CheckpointError(.malformed, file: file, tensor: displayPath(objectPath),
                HDF5ErrorStack.current().reason("cannot \(doing) \(at)"), fix: "The file is corrupt; re-save it")
        }
        guard let attribute = HDF5ID(H5Aopen(object, name, chdf5_p_default()), .attribute) else { throw failure("open") }
        guard let type = HDF5ID(H5Aget_type(attribute.raw), .datatype) else { throw failure("read the type of") }
        guard let space = HDF5ID(H5Aget_space(attribute.raw), .dataspace) else { throw failure("read the shape of") }

        let spaceClass = H5Sget_simple_extent_type(space.raw)
        if spaceClass == H5S_NULL {
            return HDF5Attribute(name: name, values: .strings([]), isScalar: false, isNull: true)
        }
        let points = H5Sget_simple_extent_npoints(space.raw)
        guard points >= 0 else { throw failure("count the elements of") }
        let count = Int(points)
        let isScalar = spaceClass == H5S_SCALAR
        let size = H5Tget_size(type.raw)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(size, 1))
        guard !overflow, bytes <= HDF5Limits.maxAttributeBytes else {
            throw CheckpointError(.limitExceeded, file: file, tensor: displayPath(objectPath),
                "\(at) declares \(count) elements of \(size) bytes, over the limit of \(HDF5Limits.maxAttributeBytes) bytes")
        }

        let typeClass = H5Tget_class(type.raw)
        let values: Values
        switch typeClass {
        case H5T_STRING:
            guard let strings = readStrings(attribute.raw, type: type.raw, space: space.raw, count: count) else { throw failure("read") }
            values = .strings(strings)
        case H5T_INTEGER:
            let signed = H5Tget_sign(type.raw) == H5T_SGN_2
            if signed {
                guard let numbers: [Int64] = readNumbers(attribute.raw, memoryType: chdf5_t_native_llong(), count: count) else { throw failure("read") }
                values = .numbers(numbers.map(String.init))
            } else {
                guard let numbers: [UInt64] = readNumbers(attribute.raw, memoryType: chdf5_t_native_ullong(), count: count) else { throw failure("read") }
                values = .numbers(numbers.map(String.init))
            }
        case H5T_FLOAT:
            guard let numbers: [Double] = readNumbers(attribute.raw, memoryType: chdf5_t_native_double(), count: count) else { throw failure("read") }
            values = .numbers(numbers.map { formatFloat($0, width: size) })
        case H5T_ENUM:
            guard let names = readEnumNames(attribute.raw, type: type.raw, count: count) else { throw failure("read") }
            if HDF5ElementType.isBoolEnum(type.raw) {
                values = .booleans(names.map { $0 == "TRUE" })
            } else {
                values = .strings(names)
            }
        default:
            let shape = isScalar ? "scalar" : "\(count) elements"
            values = .unreadable("(\(HDF5ElementType.className(typeClass)) attribute, \(shape), not shown)")
        }
        return HDF5Attribute(name: name, values: values, isScalar: isScalar)
    }

    private static func readNumbers<Element: Numeric>(_ attribute: hid_t, memoryType: hid_t, count: Int) -> [Element]? {
        var numbers = [Element](repeating: 0, count: count)
        if count == 0 { return numbers }
        let status = numbers.withUnsafeMutableBytes { H5Aread(attribute, memoryType, $0.baseAddress) }
        return status < 0 ? nil : numbers
    }

    /// Fixed-length or variable-length strings, trimmed as their padding says, decoded as UTF-8
    /// (ASCII is a subset; invalid bytes become U+FFFD rather than failing).
    private static func readStrings(_ attribute: hid_t, type: hid_t, space: hid_t, count: Int) -> [String]? {
        if count == 0 { return [] }
        if H5Tis_variable_str(type) > 0 {
            guard let memoryType = HDF5ID(H5Tcopy(chdf5_t_c_s1()), .datatype),
                  H5Tset_size(memoryType.raw, chdf5_t_variable()) >= 0,
                  H5Tset_cset(memoryType.raw, H5Tget_cset(type)) >= 0 else { return nil }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { H5Aread(attribute, memoryType.raw, $0.baseAddress) }
            guard status >= 0 else { return nil }
            let strings = pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { H5Dvlen_reclaim(memoryType.raw, space, chdf5_p_default(), $0.baseAddress) }
            return strings
        }
        let size = H5Tget_size(type)
        guard size > 0, let memoryType = HDF5ID(H5Tcopy(type), .datatype) else { return nil }
        var buffer = [UInt8](repeating: 0, count: count * size)
        let status = buffer.withUnsafeMutableBytes { H5Aread(attribute, memoryType.raw, $0.baseAddress) }
        guard status >= 0 else { return nil }
        let padding = H5Tget_strpad(type)
        return (0..<count).map { index in
            var element = buffer[(index * size)..<((index + 1) * size)]
            switch padding {
            case H5T_STR_SPACEPAD:
                while element.last == UInt8(ascii: " ") { element.removeLast() }
            default:
                // NULLTERM ends at the first NUL; NULLPAD is padded with NULs (numpy's 'S').
                if let end = element.firstIndex(of: 0) { element = element[..<end] }
            }
            return String(decoding: element, as: UTF8.self)
        }
    }

    /// The member names of enum values, read in the file's own type (HDF5 does not convert
    /// enums to integers).
    private static func readEnumNames(_ attribute: hid_t, type: hid_t, count: Int) -> [String]? {
        let size = H5Tget_size(type)
        guard size > 0, size <= 8, let memoryType = HDF5ID(H5Tcopy(type), .datatype) else { return nil }
        var buffer = [UInt8](repeating: 0, count: count * size)
        if count > 0 {
            let status = buffer.withUnsafeMutableBytes { H5Aread(attribute, memoryType.raw, $0.baseAddress) }
            guard status >= 0 else { return nil }
        }
        var names: [String] = []
        var nameBuffer = [CChar](repeating: 0, count: 256)
        for index in 0..<count {
            let found = buffer.withUnsafeBytes { bytes in
                H5Tenum_nameof(type, bytes.baseAddress.map { $0 + index * size }, &nameBuffer, nameBuffer.count)
            }
            if found >= 0 {
                names.append(String(decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            } else {
                H5Eclear2(chdf5_e_default())
                names.append("?")
            }
        }
        return names
    }

    /// A float as JSON would print it, at the precision it was stored with (a float32 0.1 is
    /// `0.1`, not `0.10000000149011612`); NaN and the infinities as Python's json writes them.
    static func formatFloat(_ value: Double, width: Int) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return width <= 4 ? Float(value).description : value.description
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// How messages name an object: its path, or `/` for the root group.
    static func displayPath(_ objectPath: String) -> String {
        objectPath.isEmpty ? "/" : objectPath
    }
}
