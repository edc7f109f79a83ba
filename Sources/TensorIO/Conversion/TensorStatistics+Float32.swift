extension TensorStatistics {
    /// The statistics of a float32 tensor, the dtype of nearly every checkpoint, without a
    /// closure call and a conversion per element: statistics of a whole checkpoint read gigabytes of them.
    ///
    /// The same two passes as the general path (range, counts and sum; then squared
    /// deviations from the mean), each a slice at a time, over the two halves of a slice at
    /// once where there are two cores. Within blocks of 1024 elements the sums are plain double-precision sums in
    /// four lanes (exact but for ~1024 roundings of a double, far below float32's precision);
    /// the block sums are added with Neumaier's compensation. float32 values cannot come
    /// near the double range, so no scaling is needed.
    init(float32 tensor: Tensor) throws(CheckpointError) {
        count = tensor.elementCount
        nanCount = 0
        infCount = 0
        var total = Float32Pass.Scan()
        try tensor.bytes.forEachSlice { raw in
            let ranges = Float32Pass.halves(raw.count / 4)
            for scan in Parallel.map(parts: ranges.count, { part in Float32Pass.scan(raw, ranges[part]) }) { total.merge(scan) }
        }
        nanCount = total.nan
        infCount = total.inf
        guard total.finite > 0 else { return }
        min = Double(total.low)
        max = Double(total.high)
        let mean = total.sum.total / Double(total.finite)
        var sumOfSquares = CompensatedSum()
        try tensor.bytes.forEachSlice { raw in
            let ranges = Float32Pass.halves(raw.count / 4)
            for part in Parallel.map(parts: ranges.count, { part in Float32Pass.squaredDeviations(raw, ranges[part], from: mean) }) {
                sumOfSquares.add(part.total)
            }
        }
        self.mean = mean
        std = (sumOfSquares.total / Double(total.finite)).squareRoot()
    }
}

/// The loops behind ``TensorStatistics/init(float32:)``.
private enum Float32Pass {
    static let block = 1024

    /// `count` elements (a slice of a tensor: both passes read it a slice at a time, so
    /// memory stays at a slice) cut in two on a block boundary where both cores are worth it.
    static func halves(_ count: Int) -> [Range<Int>] {
        guard count >= 1 << 16 else { return [0..<count] }
        let split = (count / 2) / block * block
        return [0..<split, split..<count]
    }

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

    /// Counts, range and sum of the finite values among elements `range`.
    static func scan(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> Scan {
        var scan = Scan()
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
        return scan
    }

    /// The sum of squared deviations from `mean` of the finite values among elements `range`.
    static func squaredDeviations(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, from mean: Double) -> CompensatedSum {
        var total = CompensatedSum()
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
        return total
    }
}
