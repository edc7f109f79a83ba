import TensorIO

/// How the settings in a report's texts are named while it is encoded: carried in the
/// encoder's `userInfo`, so a program (the command line) gets its own names into the JSON.
struct SettingNames: Sendable {
    static let key = CodingUserInfoKey(rawValue: "tubelet.settingNames")!
    let name: @Sendable (Setting) -> String

    /// `text` with the names the encoder carries, or the Swift API's.
    static func render(_ text: SettingText, for encoder: any Encoder) -> String {
        guard let names = encoder.userInfo[key] as? SettingNames else { return text.description }
        return text.rendered(names.name)
    }
}
