/// The pickle opcodes, named as Python's `pickletools` names them, for the unpickler's
/// dispatch and for error messages ("unsupported pickle opcode 0x95 (FRAME)").
///
/// Only the protocol-2 subset that `torch.load(weights_only=True)` accepts is executed; the
/// others are listed so that a refusal can say which opcode it met.
enum PickleOpcode: UInt8 {
    // Accepted (the weights_only set).
    case proto = 0x80
    case stop = 0x2e            // .
    case global = 0x63          // c
    case newObject = 0x81
    case reduce = 0x52          // R
    case build = 0x62           // b
    case append = 0x61          // a
    case appends = 0x65         // e
    case setItem = 0x73         // s
    case setItems = 0x75        // u
    case mark = 0x28            // (
    case tuple = 0x74           // t
    case tuple1 = 0x85
    case tuple2 = 0x86
    case tuple3 = 0x87
    case none = 0x4e            // N
    case newFalse = 0x89
    case newTrue = 0x88
    case emptyTuple = 0x29      // )
    case emptyList = 0x5d       // ]
    case emptyDict = 0x7d       // }
    case emptySet = 0x8f
    case binInt = 0x4a          // J
    case binInt1 = 0x4b         // K
    case binInt2 = 0x4d         // M
    case binFloat = 0x47        // G
    case binUnicode = 0x58      // X
    case shortBinString = 0x55  // U
    case long1 = 0x8a
    case binPersistentID = 0x51 // Q
    case binGet = 0x68          // h
    case longBinGet = 0x6a      // j
    case binPut = 0x71          // q
    case longBinPut = 0x72      // r

    /// `pickletools`' name of any opcode byte, accepted or not.
    static func name(of byte: UInt8) -> String {
        let names: [UInt8: String] = [
            0x80: "PROTO", 0x2e: "STOP", 0x63: "GLOBAL", 0x81: "NEWOBJ", 0x52: "REDUCE", 0x62: "BUILD",
            0x61: "APPEND", 0x65: "APPENDS", 0x73: "SETITEM", 0x75: "SETITEMS", 0x28: "MARK", 0x74: "TUPLE",
            0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3", 0x4e: "NONE", 0x89: "NEWFALSE", 0x88: "NEWTRUE",
            0x29: "EMPTY_TUPLE", 0x5d: "EMPTY_LIST", 0x7d: "EMPTY_DICT", 0x8f: "EMPTY_SET", 0x4a: "BININT",
            0x4b: "BININT1", 0x4d: "BININT2", 0x47: "BINFLOAT", 0x58: "BINUNICODE", 0x55: "SHORT_BINSTRING",
            0x8a: "LONG1", 0x51: "BINPERSID", 0x68: "BINGET", 0x6a: "LONG_BINGET", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
            // Refused: text-protocol, protocol 3–5 and code-running opcodes.
            0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT", 0x4c: "LONG", 0x50: "PERSID",
            0x53: "STRING", 0x54: "BINSTRING", 0x56: "UNICODE", 0x64: "DICT", 0x67: "GET", 0x69: "INST", 0x6c: "LIST",
            0x6f: "OBJ", 0x70: "PUT", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8b: "LONG4", 0x42: "BINBYTES",
            0x43: "SHORT_BINBYTES", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 0x8e: "BINBYTES8", 0x90: "ADDITEMS",
            0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME",
            0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
        ]
        return names[byte] ?? "unknown"
    }
}
