@testable import TensorIO

/// Flax msgpack checkpoints: the parser, the tree walk, array records and chunked arrays,
/// on the input mapped as a file, reading every array.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFlaxMsgpack(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    let path = FuzzInput.file(bytes, suffix: "msgpack")
    if let source = try? FlaxMsgpackSource(path: path, limits: FuzzInput.options.limits) { FuzzInput.drain(source) }
    return 0
}
