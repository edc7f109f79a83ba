import ArgumentParser

/// `--tubelet TxHxW`: the tubelet's frames, height and width.
struct TubeletSize: OptionValue, Equatable {
    var frames: Int
    var height: Int
    var width: Int

    init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { return nil }
        (frames, height, width) = (parts[0], parts[1], parts[2])
    }

    static func invalidMessage(_ text: String) -> String {
        "--tubelet must be TxHxW, e.g. 2x16x16, not '\(text)'"
    }
}
