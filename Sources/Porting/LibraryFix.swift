/// Fixes whose wording depends on the caller. The libraries cannot name the command line's
/// options, so an error that needs one carries one of these texts as its `fix`, and the
/// command line replaces it with its own wording (see `Tubelet.main`); a program using the
/// libraries gets a sentence that makes sense without a command line.
public enum LibraryFix {
    /// The head count is needed and nothing gives it.
    public static let headCount = "Give the number of attention heads: put the model's config.json beside the weights, or give the head count explicitly"
    /// The target layout has no place for some of the source's tensors.
    public static let unplacedTensors = "Choose a layout that has a place for them, or leave them out explicitly"
}
