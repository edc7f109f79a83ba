import FoundationEssentials
import Porting
import TensorIO

/// What `inflate --dry-run` prints: the output tree, parameters, tokens per clip and compute
/// per view and for the usual 4 × 3-view evaluation, so models, tubelets and frame counts can
/// be weighed before anything is written.
struct DryRunPlan {
    let inflated: InflatedSource
    /// The report of the output asked for (tensors named as that file names them), or the
    /// inflation's own (canonical names) when there is no output.
    let report: PortReport
    /// Every tensor left out or initialised, not counts per reason.
    let verbose: Bool

    init(_ inflated: InflatedSource, report: PortReport, verbose: Bool = false) {
        self.inflated = inflated
        self.report = report
        self.verbose = verbose
    }

    var text: String {
        let config = inflated.config
        let geometry = inflated.geometry
        var rows = [["NAME", "SHAPE", "PARAMS", "ORIGIN"]]
        for output in report.outputs {
            rows.append([output.label, Shape.describe(output.shape), InspectReport.grouped(output.shape.reduce(1, *)), output.origin.rawValue])
        }
        var text = TextTable.render(rows, rightAligned: [2])
        let parameters = inflated.tensors.reduce(0) { $0 + $1.elementCount }
        let perView = config.multiplyAccumulatesPerView / 1e9
        let model = inflated.options.model
        text += "\(model.title): \(InspectReport.grouped(parameters)) parameters, "
            + "\(ByteCountText.format(parameters * 4)) in float32\n"
        text += "clip: \(geometry.frames) frames of \(geometry.imageSize[0])x\(geometry.imageSize[1]), tubelet "
            + "\(geometry.tubelet.map(String.init).joined(separator: "x")) → \(geometry.grid.map(String.init).joined(separator: "x")) "
            + "= \(geometry.tokens) tokens\(config.classifier == "token" ? " + CLS" : "") per clip\n"
        text += "compute: \(significantDigits4(perView)) GFLOPs per view (multiply-accumulates, as the paper counts), "
            + "\(significantDigits4(perView * 12)) for 4 × 3 views\n"
        text += report.summary(naming: CommandLineNames.flag, verbose: verbose) + "\n"
        return text
    }
}
