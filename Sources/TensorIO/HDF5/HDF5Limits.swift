/// Safety limits on what an HDF5 file may declare, checked before anything is allocated.
enum HDF5Limits {
    /// The most bytes one attribute's value may take when read (fixed strings, numbers).
    /// Keras's largest attributes, `model_config` and long `weight_names` lists, are well
    /// under a megabyte.
    static let maxAttributeBytes = 64 << 20
    /// The most attributes read from one object.
    static let maxAttributesPerObject = 100_000
    // How many times more bytes than it stores a dataset may declare is
    // ``Limits/maxExpansionRatio``: DEFLATE cannot expand data by more than 1032 : 1 (shuffle
    // does not change the size), so a larger claim is a lie or an allocation bomb.

    /// Bytes a dataset may declare beyond that ratio, for datasets that were created but never
    /// (or only partly) written: HDF5 reads their missing chunks as the fill value.
    static let maxUnstoredBytes = 64 << 20
    /// How deep groups may nest.
    static let maxGroupDepth = 256
}
