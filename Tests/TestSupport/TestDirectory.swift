import Foundation

/// A fresh directory per test (tests run in parallel), removed when the value goes away; for
/// synchronous tests (``TestSupport/withTemporaryDirectory(_:)`` is the scoped form).
public final class TestDirectory {
    public let path: String

    public init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tubelet-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Every entry in the directory, hidden ones included.
    public var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
