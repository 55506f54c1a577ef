import Dialogue
import Localization
import SamenspraakCore

/// The localizer already renders keys and knows right-to-left languages; it also recognises command words.
extension Localizer: DialogueRenderer {
    public func command(for text: String) -> String? { keywords.command(for: text) }
}
