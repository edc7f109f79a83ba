import ArgumentParser

/// `--image-size N` or `HxW`: the input's height and width.
struct ImageSize: OptionValue, Equatable {
    var height: Int
    var width: Int

    init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 1 || parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { return nil }
        (height, width) = (parts[0], parts.count == 1 ? parts[0] : parts[1])
    }

    static func invalidMessage(_ text: String) -> String {
        "--image-size must be N or HxW, e.g. 224, not '\(text)'"
    }
}
