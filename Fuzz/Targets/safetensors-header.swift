@testable import TensorIO

/// The safetensors header: the length prefix, strict JSON, entries, and offsets against the
/// input taken as a whole file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensorsHeader(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    _ = try? SafeTensorsHeader.parse(bytes, path: "fuzz.safetensors")
    _ = try? SafeTensorsHeader.parse(headerText: Array(bytes), path: "fuzz.safetensors")
    return 0
}
