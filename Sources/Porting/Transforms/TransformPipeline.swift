import TensorIO

/// Runs a schema's transform steps on shapes (to plan without reading data) and on tensors.
enum TransformPipeline {
    /// Why a step does not fit its input, for detection to report and choose by.
    struct Mismatch: Error {
        let reason: String
        /// The step needs the number of attention heads, which the file does not say.
        var needsHeads = false
    }

    /// The steps that undo `steps`, for writing a layout from canonical tensors.
    static func inverse(_ steps: [TransformStep], inputCount: Int) -> [TransformStep] {
        var counts: [Int] = []
        var count = inputCount
        for step in steps {
            counts.append(count)
            count = (try? step.outputCount(inputCount: count)) ?? count
        }
        return zip(steps, counts).reversed().map { step, count in step.inverse(inputCount: count) }
    }

    /// The output shapes of `steps` applied to tensors of `shapes`.
    static func shapes(_ steps: [TransformStep], _ inputs: [[Int]], heads: Int?) throws(Mismatch) -> [[Int]] {
        var current = inputs
        for step in steps {
            current = try shapes(step, current, heads: heads)
        }
        return current
    }

    private static func shapes(_ step: TransformStep, _ inputs: [[Int]], heads: Int?) throws(Mismatch) -> [[Int]] {
        func checkAxis(_ axis: Int, _ shape: [Int], extra: Int = 0) throws(Mismatch) {
            guard axis >= 0, axis + extra < shape.count else {
                throw Mismatch(reason: "\(step) does not fit shape \(Shape.describe(shape))")
            }
        }
        switch step {
        case .permute(let axes):
            return try inputs.map { (shape) throws(Mismatch) in
                guard axes.count == shape.count, Set(axes) == Set(0..<shape.count) else {
                    throw Mismatch(reason: "permute \(axes) does not fit shape \(Shape.describe(shape))")
                }
                return axes.map { shape[$0] }
            }
        case .split(let axis, let parts):
            guard inputs.count == 1, let shape = inputs.first else { throw Mismatch(reason: "split takes one tensor") }
            try checkAxis(axis, shape)
            guard parts > 0, shape[axis] % parts == 0 else {
                throw Mismatch(reason: "axis \(axis) of \(Shape.describe(shape)) does not split into \(parts) equal parts")
            }
            var piece = shape
            piece[axis] /= parts
            return Array(repeating: piece, count: parts)
        case .concat(let axis):
            guard let first = inputs.first else { throw Mismatch(reason: "concat needs tensors") }
            try checkAxis(axis, first)
            var result = first
            result[axis] = 0
            for shape in inputs {
                var other = shape
                guard other.count == first.count else { throw Mismatch(reason: "cannot concatenate shapes of different ranks") }
                other[axis] = 0
                var reference = first
                reference[axis] = 0
                guard other == reference else { throw Mismatch(reason: "cannot concatenate \(Shape.describe(shape)) with \(Shape.describe(first))") }
                result[axis] += shape[axis]
            }
            return [result]
        case .splitHeads(let axis):
            guard let heads else { throw Mismatch(reason: "the number of attention heads is needed", needsHeads: true) }
            return try inputs.map { (shape) throws(Mismatch) in
                try checkAxis(axis, shape)
                guard heads > 0, shape[axis] % heads == 0 else {
                    throw Mismatch(reason: "axis \(axis) of \(Shape.describe(shape)) does not divide into \(heads) heads")
                }
                var result = shape
                result.replaceSubrange(axis...axis, with: [heads, shape[axis] / heads])
                return result
            }
        case .mergeHeads(let axis):
            return try inputs.map { (shape) throws(Mismatch) in
                try checkAxis(axis, shape, extra: 1)
                var result = shape
                result.replaceSubrange(axis...(axis + 1), with: [shape[axis] * shape[axis + 1]])
                return result
            }
        case .expandDims(let axis):
            return try inputs.map { (shape) throws(Mismatch) in
                guard axis >= 0, axis <= shape.count else { throw Mismatch(reason: "cannot add axis \(axis) to \(Shape.describe(shape))") }
                var result = shape
                result.insert(1, at: axis)
                return result
            }
        case .squeeze(let axis):
            return try inputs.map { (shape) throws(Mismatch) in
                try checkAxis(axis, shape)
                guard shape[axis] == 1 else { throw Mismatch(reason: "axis \(axis) of \(Shape.describe(shape)) is not of size 1") }
                var result = shape
                result.remove(at: axis)
                return result
            }
        case .classPosition, .foldClassPosition:
            guard inputs.count == 2, inputs[0].count == 3, inputs[1].count == 3, inputs[0][0] == 1,
                  inputs[1] == [1, 1, inputs[0][2]] else {
                throw Mismatch(reason: "\(step) takes pos_embedding [1, N, D] and cls [1, 1, D]")
            }
            if step == .classPosition && !needsClassPosition(inputs[0][1]) { return inputs }
            let delta = step == .classPosition ? 1 : -1
            guard inputs[0][1] + delta >= 0 else { throw Mismatch(reason: "pos_embedding has no rows") }
            return [[1, inputs[0][1] + delta, inputs[0][2]], inputs[1]]
        }
    }

    /// Whether a big_vision `pos_embedding` of `rows` rows lacks the CLS position: a square
    /// grid does; one more than a square is an older file that kept it (big_vision's loader
    /// folds such a row into `cls` itself), and is taken as is.
    static func needsClassPosition(_ rows: Int) -> Bool {
        let side = Int(Double(rows).squareRoot().rounded())
        if side * side == rows { return true }
        let smaller = Int(Double(max(rows - 1, 0)).squareRoot().rounded())
        return smaller * smaller != rows - 1
    }

    /// `steps` applied to `tensors`.
    static func apply(_ steps: [TransformStep], _ tensors: [Tensor], heads: Int?) throws(CheckpointError) -> [Tensor] {
        var current = tensors
        for step in steps {
            current = try apply(step, current, heads: heads)
        }
        return current
    }

    private static func apply(_ step: TransformStep, _ tensors: [Tensor], heads: Int?) throws(CheckpointError) -> [Tensor] {
        let planned: [[Int]]
        do {
            planned = try shapes(step, tensors.map(\.shape), heads: heads)
        } catch {
            throw CheckpointError(.invalidRequest, file: "<memory>", error.reason)
        }
        switch step {
        case .permute(let axes):
            return try tensors.map { (tensor) throws(CheckpointError) in try tensor.permuted(axes) }
        case .split(let axis, let parts):
            return try tensors[0].split(axis: axis, parts: parts)
        case .concat(let axis):
            return [try Tensor.concatenate(tensors, axis: axis)]
        case .splitHeads, .mergeHeads, .expandDims, .squeeze:
            return try zip(tensors, planned).map { (pair) throws(CheckpointError) in try pair.0.reshaped(pair.1) }
        case .classPosition:
            let posemb = tensors[0]
            if !needsClassPosition(posemb.shape[1]) { return tensors }
            let zeroRow = try Tensor.zeros(posemb.dtype, shape: [1, 1, posemb.shape[2]])
            return [try Tensor.concatenate([zeroRow, posemb], axis: 1), tensors[1]]
        case .foldClassPosition:
            let posemb = tensors[0]
            let classRow = try posemb.slice(axis: 1, 0..<1)
            let rest = try posemb.slice(axis: 1, 1..<posemb.shape[1])
            // A zero row (what classPosition inserted) leaves cls bit-for-bit unchanged.
            let cls = classRow.isAllZeroBytes ? tensors[1] : try tensors[1].adding(classRow)
            return [rest, cls]
        }
    }
}
