/// Checked arithmetic on shapes and byte counts.
///
/// Every size a file declares goes through here before anything is allocated, so an absurd
/// shape gives an error rather than an overflow trap or a huge allocation.
public enum Shape {
    /// The number of elements of `shape`, or nil when a dimension is negative or the product
    /// overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The number of bytes a tensor of `shape` and `dtype` occupies, or nil on overflow.
    public static func byteCount(_ shape: [Int], _ dtype: DType) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        return overflow ? nil : bytes
    }

    /// The shape in the form error messages and tables print: `[2, 3]`, `[]` for a scalar.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
