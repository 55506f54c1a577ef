import Dialogue
import Foundation
import Localization
import SamenspraakCore
import Storage

/// What every conversation does the same way, a parent's or a teacher's: the language and "stop" / "start".
protocol ContactHost: DialogueHost {
    var contact: ContactRecord { get set }
    var localizer: Localizer { get }
    var school: School { get }
    var now: Date { get }
}

extension ContactHost {
    var language: String { contact.language ?? localizer.baseLanguage }

    /// The school's languages that have a locale, each named in itself.
    func languageOptions() -> [Option] {
        school.languages.filter { localizer.catalogs[$0] != nil }.map { Option(id: $0, fixedLabel: localizer.languageName($0)) }
    }

    /// Performs an action every host shares; nil when `action` is not one of them.
    mutating func performShared(_ action: String, session: inout Session) -> String? {
        switch action {
        case "set_language":
            if case .text(let chosen)? = session.vars["language"], localizer.catalogs[chosen] != nil {
                session.language = chosen
                contact.language = chosen
            } else if session.language == nil {
                session.language = language
                contact.language = language
            }
            return "ok"
        case "stop_messages":
            contact.stoppedAt = contact.stoppedAt ?? now
            return "ok"
        case "resume_messages":
            contact.stoppedAt = nil
            return "ok"
        default:
            return nil
        }
    }

    static var sharedActions: [String: Set<String>] { ["set_language": ["ok"], "stop_messages": ["ok"], "resume_messages": ["ok"]] }
}
