import SamenspraakCore

/// Where one person is in their conversation; stored as JSON after every step so a restart resumes exactly there.
public struct Session: Sendable, Equatable, Codable {
    /// The language the person chose; nil until they did.
    public var language: String?
    public var flow: String?
    public var step: String?
    /// Answers and facts the flow collected ("child", "day", "child_name"…), also used as message placeholders.
    public var vars: [String: MessageValue]
    /// Present while a question waits for an answer.
    public var waiting: Waiting?

    public init(language: String? = nil) {
        self.language = language
        self.vars = [:]
    }

    /// The choices shown with the open question, as they were shown, so "2" or a typed label can be matched later.
    public struct Waiting: Sendable, Equatable, Codable {
        public var choices: [Presented]
        public var acceptsText: Bool

        public struct Presented: Sendable, Equatable, Codable {
            public var id: String
            public var label: String
            /// True for a host option (saved into the question's variable), false for a flow's own button.
            public var isOption: Bool
        }
    }
}

/// A person's input to the dialogue.
public enum DialogueInput: Sendable, Equatable {
    /// A new conversation (the person just opened the chat).
    case start
    case text(String)
    case choice(String)
}

/// One option offered by the host (a child, a day, a time), labelled by a message key and its values.
public struct Option: Sendable, Equatable {
    public var id: String
    public var label: String
    public var values: [String: MessageValue]
    /// A label shown as is in every language (a language's own name), instead of `label`.
    public var fixedLabel: String?

    public init(id: String, label: String, values: [String: MessageValue] = [:]) {
        self.id = id
        self.label = label
        self.values = values
    }

    public init(id: String, fixedLabel: String) {
        self.id = id
        self.label = ""
        self.values = [:]
        self.fixedLabel = fixedLabel
    }
}

/// What the dialogue needs from its host: data to offer and domain actions to perform.
/// Implementations read and write inside the step's transaction, so an action's outcome is final.
public protocol DialogueHost {
    /// The options of `source` for this person now (may be empty).
    mutating func options(_ source: String, session: Session) throws -> [Option]
    /// Performs `action` and returns its outcome ("ok", "taken"…); may set variables for the next messages.
    mutating func perform(_ action: String, session: inout Session) throws -> String
}

/// Turns message keys into the person's language.
public protocol DialogueRenderer: Sendable {
    /// `key` in `language`, each placeholder taken from `values`, else from `fallback`.
    func text(_ key: String, _ values: [String: MessageValue], fallback: [String: MessageValue], language: String) -> String
    func isRightToLeft(_ language: String) -> Bool
    /// The global command `text` asks for when typed alone ("afzeggen" → "cancel"), in any shipped language.
    func command(for text: String) -> String?
}

/// What a host offers, so flows can be checked against it before they run.
public struct HostCatalog: Sendable {
    /// Action name → the outcomes it can report.
    public var actions: [String: Set<String>]
    public var optionSources: Set<String>
    /// Variables the host sets for messages, beyond those the flows save themselves.
    public var variables: Set<String>
    /// Message keys the host renders itself (option labels, notices), which every locale must have too.
    public var messages: Set<String>

    public init(actions: [String: Set<String>], optionSources: Set<String>, variables: Set<String>, messages: Set<String> = []) {
        self.actions = actions
        self.optionSources = optionSources
        self.variables = variables
        self.messages = messages
    }
}
