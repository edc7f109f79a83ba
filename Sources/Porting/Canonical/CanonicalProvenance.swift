import TensorIO

/// A source of canonical ViT tensors that knows which of the input file's tensors each one
/// is made from, so a report can name them.
///
/// ``CanonicalSource`` maps a file through its layout; ``RewrittenSource`` adds the exact
/// rewrites on top of one. Consumers (the inflater, the report) ask this protocol rather than
/// a concrete type, so a rewritten source reports file tensors as a plain one does.
public protocol CanonicalProvenance: TensorSource {
    /// The input file's own tensors a canonical tensor is made from.
    func fileTensors(for name: String) -> [String]?
    /// The layout the file was read in, when the tensors come from a file.
    var layoutMatch: LayoutMatch? { get }
}

extension CanonicalSource: CanonicalProvenance {
    public var layoutMatch: LayoutMatch? { match }
}
