/// A storage a pickle refers to by persistent id: `('storage', class, key, location, numel)`.
///
/// The bytes are the archive member `data/<key>`. `numel` counts elements of the storage
/// class's dtype, or bytes for `UntypedStorage`; it is never trusted until it has been checked
/// against the member's actual size.
struct TorchStorageReference: Sendable, Equatable {
    let key: String
    /// `torch.FloatStorage`, for messages.
    let className: String
    /// The element type of a typed storage; nil for untyped or unsupported ones.
    let dtype: DType?
    let isUntyped: Bool
    let isSupported: Bool
    let location: String
    let numel: Int

    /// The bytes the storage's member must hold, or nil when that overflows or the class is
    /// one Tubelet has no dtype for.
    var byteCount: Int? {
        if isUntyped { return numel }
        guard let dtype else { return nil }
        let (bytes, overflow) = numel.multipliedReportingOverflow(by: dtype.byteCount)
        return overflow ? nil : bytes
    }
}

/// A tensor a pickle rebuilds: a view (offset, sizes, strides, in elements) of a storage.
struct TorchTensorReference: Sendable {
    /// Index into the unpickler's storages.
    let storage: Int
    /// The dtype; nil when torch's dtype has no Tubelet equivalent.
    let dtype: DType?
    /// torch's name of the dtype (`torch.float8_e4m3fn`), for messages.
    let dtypeName: String
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
