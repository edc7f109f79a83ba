import ArgumentParser

/// Per-channel numbers given as `R,G,B` (or one value per channel of the model), such as
/// `--image-mean 0.485,0.456,0.406`.
struct ChannelValues: ExpressibleByArgument, Equatable {
    let values: [Double]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double(String($0.filter { $0 != " " })) }
        guard !parts.isEmpty, parts.count <= 4, parts.allSatisfy({ $0?.isFinite == true }) else { return nil }
        values = parts.compactMap { $0 }
    }
}
