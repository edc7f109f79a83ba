/// What to do when the head count is needed and unknown. The one piece of wording the
/// library and the command line share: the library cannot name the command line's option,
/// so the command line replaces this text with its own (see `HeadCountFix.text`'s callers).
public enum HeadCountFix {
    public static let text = "Give the number of attention heads: put the model's config.json beside the weights, or give the head count explicitly"
}
