extension TensorSource {
    /// The metadata a conversion carries to another format: all of it but the markers a format
    /// writes for itself (safetensors' `"format": "pt"`, which every safetensors writer adds
    /// and Hugging Face's loaders check). A format with no place for metadata refuses only
    /// when this is not empty, so a plain safetensors file converts to Flax msgpack or `.npy`.
    public var carriedMetadata: [String: String] {
        guard format == .safetensors else { return metadata }
        return metadata.filter { $0.key != "format" }
    }
}
