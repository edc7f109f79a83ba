import FoundationEssentials

/// Checkpoint metadata in an `.npz`, kept in the zip archive comment as JSON.
///
/// numpy ignores the archive comment, so `np.load` and Flax's `unflatten_dict` see only the
/// arrays. bfloat16 arrays are stored as `<V2` (as ml_dtypes does); the comment lists their
/// names so Tubelet reads them back as bfloat16.
enum NPZMetadata {
    /// The comment's top-level key; its presence marks a comment Tubelet wrote.
    static let marker = "tubelet"

    struct Decoded {
        var metadata: [String: String] = [:]
        var bfloat16Names: Set<String> = []
    }

    private struct Payload: Codable {
        var tubelet: Int
        var metadata: [String: String]
        var bfloat16: [String]
    }

    static func decode(_ comment: String?) -> Decoded {
        guard let comment, let data = comment.data(using: .utf8),
              let payload = try? JSONDecoder().decode(Payload.self, from: data) else {
            return Decoded(metadata: comment.map { ["npz.comment": $0] } ?? [:])
        }
        return Decoded(metadata: payload.metadata, bfloat16Names: Set(payload.bfloat16))
    }

    /// The comment for `metadata` and `bfloat16Names`, or nil when there is nothing to keep.
    static func encode(metadata: [String: String], bfloat16Names: [String]) -> String? {
        if metadata.isEmpty && bfloat16Names.isEmpty { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = Payload(tubelet: 1, metadata: metadata, bfloat16: bfloat16Names)
        guard let data = try? encoder.encode(payload) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
