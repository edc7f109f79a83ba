/// Reverses the bytes of every element in place: big-endian data to little-endian.
enum ByteOrder {
    static func swapElements(_ buffer: UnsafeMutableRawBufferPointer, elementSize: Int) {
        guard elementSize > 1, let base = buffer.baseAddress else { return }
        let count = buffer.count / elementSize
        switch elementSize {
        case 2:
            for index in 0..<count {
                let value = base.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
                base.storeBytes(of: value.byteSwapped, toByteOffset: index * 2, as: UInt16.self)
            }
        case 4:
            for index in 0..<count {
                let value = base.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                base.storeBytes(of: value.byteSwapped, toByteOffset: index * 4, as: UInt32.self)
            }
        case 8:
            for index in 0..<count {
                let value = base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                base.storeBytes(of: value.byteSwapped, toByteOffset: index * 8, as: UInt64.self)
            }
        default:
            for index in 0..<count {
                var element = UnsafeMutableRawBufferPointer(rebasing: buffer[index * elementSize..<(index + 1) * elementSize])
                element.reverse()
            }
        }
    }
}
