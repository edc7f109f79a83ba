import TensorIO

/// The token geometry of a ViViT: tubelet, input size and the resulting token grid.
public struct ViViTGeometry: Codable, Sendable, Equatable {
    public var frames: Int
    /// `[t, h, w]`, HF's `tubelet_size` order (scenic's `patches.size` is `(h, w, t)`).
    public var tubelet: [Int]
    public var imageSize: [Int]
    public var channels: Int
    /// Temporal, vertical and horizontal token counts: `[nt, nh, nw]`.
    public var grid: [Int]

    public var temporalTokens: Int { grid[0] }
    public var spatialTokens: Int { grid[1] * grid[2] }
    public var tokens: Int { grid[0] * grid[1] * grid[2] }

    /// Checks the request against the ViT: frames divisible by the tubelet depth, the image by
    /// the patch, the tubelet's spatial size equal to the ViT's patch.
    static func make(_ options: InflationOptions, vit: ViTArchitecture, file: String) throws(CheckpointError) -> ViViTGeometry {
        let height = options.tubeletHeight ?? vit.patchSize[0]
        let width = options.tubeletWidth ?? vit.patchSize[1]
        guard [height, width] == vit.patchSize else {
            throw CheckpointError(.invalidRequest, file: file,
                "the tubelet is \(height)x\(width) pixels but the ViT's patches are \(vit.patchSize[0])x\(vit.patchSize[1]); the 2-D kernel cannot be reused",
                fix: "Use \(setting: .tubelet) \(options.tubeletFrames)x\(vit.patchSize[0])x\(vit.patchSize[1])")
        }
        let t = options.tubeletFrames
        if options.model == .timesformer && t != 1 {
            throw CheckpointError(.invalidRequest, file: file,
                "TimeSformer embeds every frame with the ViT's 2-D patch kernel: its tubelet is 1x\(height)x\(width), not \(t)x\(height)x\(width)",
                fix: "Leave out \(setting: .tubelet), or pass \(setting: .tubelet) 1x\(height)x\(width)")
        }
        guard t > 0, options.frames > 0, options.frames % t == 0 else {
            throw CheckpointError(.invalidRequest, file: file,
                "\(options.frames) frames do not divide into tubelets of \(t) frames",
                fix: "Choose \(setting: .frames) as a multiple of the tubelet depth \(t)")
        }
        let image = [options.imageHeight ?? vit.imageSize[0], options.imageWidth ?? vit.imageSize[1]]
        guard image[0] > 0, image[1] > 0, image[0] % height == 0, image[1] % width == 0 else {
            throw CheckpointError(.invalidRequest, file: file,
                "an image of \(image[0])x\(image[1]) pixels does not divide into \(height)x\(width) patches",
                fix: "Choose \(setting: .imageSize) as a multiple of \(height)")
        }
        return ViViTGeometry(frames: options.frames, tubelet: [t, height, width], imageSize: image, channels: vit.channels,
                             grid: [options.frames / t, image[0] / height, image[1] / width])
    }
}
