@testable import TensorIO

/// The `.npy` header parser: preamble, version, length and the Python-literal dict, on the
/// whole input as an `.npy` file's bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPYHeader(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    for bfloat16 in [false, true] {
        var options = FuzzInput.options
        options.opaqueTwoByteAsBFloat16 = bfloat16
        if let header = try? NPYHeader.parse(bytes, options: options) {
            _ = header.byteCount
            _ = NPYHeader.render(dtype: header.dtype, shape: header.shape)
        }
    }
    return 0
}
