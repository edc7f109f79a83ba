/// Emits protocol-2 pickle opcodes, only those `torch.load(weights_only=True)` accepts.
///
/// Globals are memoised the first time they are written and fetched with `BINGET` after,
/// as Python's pickler does, so a state dict of a thousand tensors names
/// `_rebuild_tensor_v2` once.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [PickleOpcode.proto.rawValue, 2]
    private var memo: [String: Int] = [:]
    private var nextMemo = 0

    mutating func op(_ opcode: PickleOpcode) {
        bytes.append(opcode.rawValue)
    }

    /// `GLOBAL module name`, or a memo fetch of it.
    mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = memo[key] {
            get(index)
            return
        }
        op(.global)
        bytes += Array(module.utf8) + [0x0a] + Array(name.utf8) + [0x0a]
        memo[key] = nextMemo
        put(nextMemo)
        nextMemo += 1
    }

    private mutating func put(_ index: Int) {
        if index < 256 {
            bytes += [PickleOpcode.binPut.rawValue, UInt8(index)]
        } else {
            op(.longBinPut)
            appendLittleEndian(UInt64(index), width: 4)
        }
    }

    private mutating func get(_ index: Int) {
        if index < 256 {
            bytes += [PickleOpcode.binGet.rawValue, UInt8(index)]
        } else {
            op(.longBinGet)
            appendLittleEndian(UInt64(index), width: 4)
        }
    }

    /// An int in the smallest form Python's pickler uses for it.
    mutating func int(_ value: Int) {
        switch value {
        case 0..<256:
            bytes += [PickleOpcode.binInt1.rawValue, UInt8(value)]
        case 256..<65_536:
            op(.binInt2)
            appendLittleEndian(UInt64(value), width: 2)
        case Int(Int32.min)...Int(Int32.max):
            op(.binInt)
            appendLittleEndian(UInt64(UInt32(bitPattern: Int32(value))), width: 4)
        default:
            // LONG1: little-endian two's complement, as few bytes as keep the sign.
            var encoded: [UInt8] = []
            var rest = value
            repeat {
                encoded.append(UInt8(truncatingIfNeeded: rest))
                rest >>= 8
            } while !(rest == 0 && (encoded.last ?? 0) & 0x80 == 0) && !(rest == -1 && (encoded.last ?? 0) & 0x80 != 0)
            bytes += [PickleOpcode.long1.rawValue, UInt8(encoded.count)] + encoded
        }
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(.binUnicode)
        appendLittleEndian(UInt64(utf8.count), width: 4)
        bytes += utf8
    }

    /// A tuple of ints, as `TUPLE1/2/3` or `MARK … TUPLE`.
    mutating func intTuple(_ values: [Int]) {
        if values.isEmpty {
            op(.emptyTuple)
            return
        }
        if values.count > 3 { op(.mark) }
        for value in values { int(value) }
        switch values.count {
        case 1: op(.tuple1)
        case 2: op(.tuple2)
        case 3: op(.tuple3)
        default: op(.tuple)
        }
    }

    private mutating func appendLittleEndian(_ value: UInt64, width: Int) {
        for shift in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
    }
}
