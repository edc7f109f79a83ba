/// Name order with runs of digits compared as numbers: `vars/2` before `vars/10`,
/// `encoderblock_9` before `encoderblock_10`. Keras 3 numbers its variables `0, 1, … 10`, and
/// HDF5's own name order would list `10` before `2`.
enum NaturalOrder {
    static func precedes(_ left: String, _ right: String) -> Bool {
        var a = Array(left.utf8)[...]
        var b = Array(right.utf8)[...]
        while let x = a.first, let y = b.first {
            if isDigit(x) && isDigit(y) {
                let leftRun = a.prefix(while: isDigit)
                let rightRun = b.prefix(while: isDigit)
                a = a.dropFirst(leftRun.count)
                b = b.dropFirst(rightRun.count)
                let leftDigits = leftRun.drop { $0 == UInt8(ascii: "0") }
                let rightDigits = rightRun.drop { $0 == UInt8(ascii: "0") }
                if leftDigits.count != rightDigits.count { return leftDigits.count < rightDigits.count }
                if !leftDigits.elementsEqual(rightDigits) { return leftDigits.lexicographicallyPrecedes(rightDigits) }
                if leftRun.count != rightRun.count { return leftRun.count < rightRun.count }
            } else {
                if x != y { return x < y }
                a = a.dropFirst()
                b = b.dropFirst()
            }
        }
        return a.count < b.count
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
