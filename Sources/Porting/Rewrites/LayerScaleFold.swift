import TensorIO

/// LayerScale folded into the dense layer it scales.
///
/// A LayerScale block computes `gamma ⊙ (W x + b)` after the attention's output projection and
/// after the MLP's second layer. The same function is a dense layer with `W' = W · diag(gamma)`
/// on the output axis and `b' = gamma ⊙ b`, which ViViT (and every plain ViT) can hold. In
/// canonical (Flax) form the output axis is the last one of both kernels (`out/kernel
/// [H, hd, D]`, `Dense_1/kernel [M, D]`), so every element of column `j` is multiplied by
/// `gamma[j]`.
///
/// Exactness: each folded weight is `w · gamma` computed in float64 (exact for float32 and
/// narrower inputs, whose product fits 53 bits) and rounded once to the tensor's dtype — one
/// float32 multiply. The folded model therefore rounds in a different place than the source
/// (`gamma · round(Σ w x + b)` against `Σ round(w · gamma) x`): equal up to that one rounding
/// per weight, about 1e-7 relative in float32, not bit-identical.
enum LayerScaleFold {
    /// `tensor` with every element of last-axis index `j` multiplied by `scale[j]`.
    static func scaledAlongLastAxis(_ tensor: Tensor, by scale: Tensor) throws(CheckpointError) -> Tensor {
        guard let width = tensor.shape.last, scale.shape == [width], tensor.dtype.isFloatingPoint, scale.dtype.isFloatingPoint else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "cannot scale \(tensor.dtype.rawValue) \(Shape.describe(tensor.shape)) along its last axis by \(scale.dtype.rawValue) \(Shape.describe(scale.shape))")
        }
        let factors = try scale.materialised().doubleValues
        // Computed a slice at a time as it is written: no float64 copy of the whole tensor.
        return try tensor.mappingToFloat64 { index, value in value * factors[index % width] }.casting(to: tensor.dtype)
    }
}
