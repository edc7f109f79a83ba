// swift-tools-version: 6.2
import PackageDescription

// Debian/Ubuntu: `hdf5.pc` is an update-alternatives link that flips to the MPI build when an
// MPI flavour of libhdf5 is installed; the serial one is named explicitly.
#if os(Linux)
let hdf5PkgConfig = "hdf5-serial"
#else
let hdf5PkgConfig = "hdf5"
#endif

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Tubelet",
    products: [
        .library(name: "TensorIO", targets: ["TensorIO"]),
        .library(name: "Porting", targets: ["Porting"]),
        .executable(name: "tubelet", targets: ["tubelet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - Public API
        .target(
            name: "TensorIO",
            dependencies: ["CHDF5", "CLibzip"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Porting",
            dependencies: ["TensorIO"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tubelet",
            dependencies: [
                "TensorIO",
                "Porting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Implementation details
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: hdf5PkgConfig,
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]
        ),
        .systemLibrary(
            name: "CLibzip",
            pkgConfig: "libzip",
            providers: [.apt(["libzip-dev"]), .brew(["libzip"])]
        ),

        // MARK: - Tests
        .testTarget(
            name: "TensorIOTests",
            dependencies: ["TensorIO"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortingTests",
            dependencies: ["Porting", "TensorIO"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "tubeletTests",
            dependencies: ["tubelet", "TensorIO"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
