extension TensorStatistics {
    /// The statistics of a float32 tensor, the dtype of nearly every checkpoint, without a
    /// closure call and a conversion per element: statistics of a whole checkpoint read gigabytes of them.
    ///
    /// The same two passes as the general path (range, counts and sum; then squared
    /// deviations from the mean), over the two halves of the tensor at once where there are
    /// two cores. Within blocks of 1024 elements the sums are plain double-precision sums in
    /// four lanes (exact but for ~1024 roundings of a double, far below float32's precision);
    /// the block sums are added with Neumaier's compensation. float32 values cannot come
    /// near the double range, so no scaling is needed.
    init(float32 tensor: Tensor) throws(CheckpointError) {
        let count = tensor.elementCount
        self.count = count
        nanCount = 0
        infCount = 0
        let halves = count >= 1 << 16 ? 2 : 1
        let split = (count / 2) / Float32Pass.block * Float32Pass.block
        let ranges = halves == 2 ? [0..<split, split..<count] : [0..<count]
        let scans = try Float32Pass.fold(tensor.bytes, parts: ranges, Float32Pass.Scan()) { raw, range, scan in
            Float32Pass.scan(raw, range, into: &scan)
        }
        var total = Float32Pass.Scan()
        for scan in scans { total.merge(scan) }
        nanCount = total.nan
        infCount = total.inf
        guard total.finite > 0 else { return }
        min = Double(total.low)
        max = Double(total.high)
        let mean = total.sum.total / Double(total.finite)
        let squares = try Float32Pass.fold(tensor.bytes, parts: ranges, CompensatedSum()) { raw, range, sum in
            Float32Pass.squaredDeviations(raw, range, from: mean, into: &sum)
        }
        var sumOfSquares = CompensatedSum()
        for part in squares { sumOfSquares.add(part.total) }
        self.mean = mean
        std = (sumOfSquares.total / Double(total.finite)).squareRoot()
    }
}

/// The loops behind ``TensorStatistics/init(float32:)``.
private enum Float32Pass {
    static let block = 1024

    struct Scan {
        var finite = 0
        var nan = 0
        var inf = 0
        var low = Float.infinity
        var high = -Float.infinity
        var sum = CompensatedSum()

        mutating func merge(_ other: Scan) {
            finite += other.finite
            nan += other.nan
            inf += other.inf
            low = Swift.min(low, other.low)
            high = Swift.max(high, other.high)
            sum.add(other.sum.total)
        }
    }

    @inline(__always)
    static func bits(_ raw: UnsafeRawBufferPointer, _ index: Int) -> UInt32 {
        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
    }

    /// An exponent of all ones is an infinity or a NaN.
    @inline(__always)
    static func isFinite(_ bits: UInt32) -> Bool {
        bits & 0x7f80_0000 != 0x7f80_0000
    }

    /// `body(raw, elements, &state)` over the elements of each of `parts` in order, a slice
    /// at a time, from `initial` for each part; the results in part order. Every slice passed
    /// starts on a multiple of ``block`` elements when its part does, so the blocks, and the
    /// sums, are those of one call over the whole part.
    ///
    /// A tensor in memory is read in place, its parts concurrently where there are cores, and
    /// a mapped one gives its pages back behind the read position (a 604 MB kernel is not all
    /// resident at the end of a pass). A streamed tensor is computed once per call, in order,
    /// each slice going to the parts it holds; its failure is thrown.
    static func fold<State>(_ bytes: TensorBytes, parts: [Range<Int>], _ initial: State,
                            _ body: (UnsafeRawBufferPointer, Range<Int>, inout State) -> Void) throws(CheckpointError) -> [State] {
        let sliceElements = TensorBytes.sliceBytes / 4
        guard case .stored(let storage) = bytes.representation else {
            var states = Array(repeating: initial, count: parts.count)
            let reader = bytes.reader()
            let staging = try PageBuffer(count: TensorBytes.sliceBytes)
            let total = parts.last?.upperBound ?? 0
            var start = 0
            while start < total {
                let end = Swift.min(start + sliceElements, total)
                let slice = UnsafeMutableRawBufferPointer(rebasing: staging.bytes[0..<((end - start) * 4)])
                try reader.read(into: slice)
                for (index, part) in parts.enumerated() where part.lowerBound < end && part.upperBound > start {
                    body(UnsafeRawBufferPointer(slice), (Swift.max(start, part.lowerBound) - start)..<(Swift.min(end, part.upperBound) - start),
                         &states[index])
                }
                start = end
            }
            return states
        }
        let raw = UnsafeRawBufferPointer(start: storage.count == 0 ? nil : storage.base, count: storage.count)
        return Parallel.map(parts: parts.count) { index in
            var state = initial
            var start = parts[index].lowerBound
            while start < parts[index].upperBound {
                let end = Swift.min(start + sliceElements, parts[index].upperBound)
                body(raw, start..<end, &state)
                storage.releasePages((start * 4)..<(end * 4))
                start = end
            }
            return state
        }
    }

    /// Adds the counts, range and sum of the finite values among elements `range` to `scan`.
    static func scan(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, into scan: inout Scan) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = Swift.min(start + block, range.upperBound)
            // The common block, every value finite: four independent sums, the range, and a
            // count of non-finite values that sends the block to the careful loop if not 0.
            var sums = (0.0, 0.0, 0.0, 0.0)
            var low = scan.low, high = scan.high
            var special = 0
            var index = start
            while index + 4 <= end {
                let a = bits(raw, index), b = bits(raw, index + 1), c = bits(raw, index + 2), d = bits(raw, index + 3)
                special &+= (isFinite(a) ? 0 : 1) &+ (isFinite(b) ? 0 : 1) &+ (isFinite(c) ? 0 : 1) &+ (isFinite(d) ? 0 : 1)
                let fa = Float(bitPattern: a), fb = Float(bitPattern: b), fc = Float(bitPattern: c), fd = Float(bitPattern: d)
                sums.0 += Double(fa); sums.1 += Double(fb); sums.2 += Double(fc); sums.3 += Double(fd)
                low = Swift.min(low, Swift.min(Swift.min(fa, fb), Swift.min(fc, fd)))
                high = Swift.max(high, Swift.max(Swift.max(fa, fb), Swift.max(fc, fd)))
                index += 4
            }
            while index < end {
                let value = bits(raw, index)
                special &+= isFinite(value) ? 0 : 1
                let float = Float(bitPattern: value)
                sums.0 += Double(float)
                low = Swift.min(low, float)
                high = Swift.max(high, float)
                index += 1
            }
            if special == 0 {
                scan.low = low
                scan.high = high
                scan.finite += end - start
                scan.sum.add((sums.0 + sums.1) + (sums.2 + sums.3))
            } else {
                var sum = 0.0
                for index in start..<end {
                    let value = Float(bitPattern: bits(raw, index))
                    if value.isNaN {
                        scan.nan += 1
                    } else if value.isInfinite {
                        scan.inf += 1
                    } else {
                        scan.finite += 1
                        sum += Double(value)
                        if value < scan.low { scan.low = value }
                        if value > scan.high { scan.high = value }
                    }
                }
                scan.sum.add(sum)
            }
            start = end
        }
    }

    /// Adds the squared deviations from `mean` of the finite values among elements `range` to `total`.
    static func squaredDeviations(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, from mean: Double, into total: inout CompensatedSum) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = Swift.min(start + block, range.upperBound)
            var sums = (0.0, 0.0, 0.0, 0.0)
            var index = start
            while index + 4 <= end {
                let a = bits(raw, index), b = bits(raw, index + 1), c = bits(raw, index + 2), d = bits(raw, index + 3)
                let da = Double(Float(bitPattern: a)) - mean, db = Double(Float(bitPattern: b)) - mean
                let dc = Double(Float(bitPattern: c)) - mean, dd = Double(Float(bitPattern: d)) - mean
                sums.0 += isFinite(a) ? da * da : 0
                sums.1 += isFinite(b) ? db * db : 0
                sums.2 += isFinite(c) ? dc * dc : 0
                sums.3 += isFinite(d) ? dd * dd : 0
                index += 4
            }
            while index < end {
                let value = bits(raw, index)
                let deviation = Double(Float(bitPattern: value)) - mean
                sums.0 += isFinite(value) ? deviation * deviation : 0
                index += 1
            }
            total.add((sums.0 + sums.1) + (sums.2 + sums.3))
            start = end
        }
    }
}
