/// Every setting of the daemon, spelled one way in each place: `public_url` in the configuration file,
/// `SAMENSPRAAK_PUBLIC_URL` in the environment, `--public-url` on the command line. A command-line option wins over
/// the environment, which wins over the file, which wins over the default.
/// Secrets (the Telegram bot's token, WhatsApp's access token, app secret and verify token, Twilio's auth token, the Matrix bot's
/// password or access token, the staff API's token, the metrics token, the translation provider's key) are no settings: they come
/// from the environment, or from a file the `*_token_file`, `*_secret_file`, `matrix_password_file`, `matrix_pickle_key_file` and `translation_key_file` settings name, never from the command line or the configuration file itself.
public enum Setting: String, CaseIterable, Sendable {
    case data, database, school, conversations, locales, host, port
    case publicURL = "public_url"
    case telegramBot = "telegram_bot"
    case telegramAPIURL = "telegram_api_url"
    case telegramMode = "telegram_mode"
    case telegramChatInterval = "telegram_chat_interval"
    case telegramPerSecond = "telegram_per_second"
    case telegramTokenFile = "telegram_token_file"
    case whatsappPhoneNumberID = "whatsapp_phone_number_id"
    case whatsappNumber = "whatsapp_number"
    case whatsappAPIURL = "whatsapp_api_url"
    case whatsappGraphVersion = "whatsapp_graph_version"
    case whatsappTemplates = "whatsapp_templates"
    case whatsappTokenFile = "whatsapp_token_file"
    case whatsappAppSecretFile = "whatsapp_app_secret_file"
    case whatsappVerifyTokenFile = "whatsapp_verify_token_file"
    case smsProvider = "sms_provider"
    case twilioAccountSID = "twilio_account_sid"
    case twilioFrom = "twilio_from"
    case twilioMessagingServiceSID = "twilio_messaging_service_sid"
    case twilioAPIURL = "twilio_api_url"
    case twilioAuthTokenFile = "twilio_auth_token_file"
    case matrixHomeserver = "matrix_homeserver"
    case matrixUser = "matrix_user"
    case matrixAllowedServers = "matrix_allowed_servers"
    case matrixPasswordFile = "matrix_password_file"
    case matrixAccessTokenFile = "matrix_access_token_file"
    case matrixPickleKeyFile = "matrix_pickle_key_file"
    case staffTokenFile = "staff_token_file"
    case metricsTokenFile = "metrics_token_file"
    case retentionDays = "retention_days"
    case archiveYears = "archive_years"
    case translationProvider = "translation_provider"
    case translationURL = "translation_url"
    case translationTimeoutMS = "translation_timeout_ms"
    case translationKeyFile = "translation_key_file"
    /// A school board's deployment: a folder with one folder per school, each holding that school's `samenspraak.yaml`.
    case schools

    public var key: String { rawValue }
    public var environmentVariable: String { "SAMENSPRAAK_" + rawValue.uppercased() }
    public var option: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }

    /// Paths in the configuration file are relative to the file's folder.
    var isPath: Bool {
        switch self {
        case .data, .database, .school, .conversations, .locales, .telegramTokenFile, .staffTokenFile, .metricsTokenFile, .whatsappTokenFile,
             .whatsappAppSecretFile, .whatsappVerifyTokenFile, .twilioAuthTokenFile, .translationKeyFile,
             .matrixPasswordFile, .matrixAccessTokenFile, .matrixPickleKeyFile, .schools: true
        default: false
        }
    }

    /// What a school board's daemon reads for itself (and `data`, which only the demo uses); every other setting
    /// belongs to one school's file.
    static let boardSettings: Set<Setting> = [.schools, .host, .port, .conversations, .locales, .data]

    /// The environment variable that names the configuration file when `--config` is not given.
    public static let configEnvironmentVariable = "SAMENSPRAAK_CONFIG"

    /// Read by `samenspraak staff add` for the new account's password (never from the command line).
    public static let staffPasswordEnvironmentVariable = "SAMENSPRAAK_STAFF_PASSWORD"

    /// Every `SAMENSPRAAK_*` variable the program reads; any other one is a misspelling and stops the command, since a
    /// setting typed wrong would otherwise silently keep its default (a retention of a year instead of 30 days).
    static var knownEnvironmentVariables: [String] {
        allCases.map(\.environmentVariable) + [configEnvironmentVariable, staffPasswordEnvironmentVariable] + Secret.all.map(\.environmentVariable)
    }

    /// The known name closest to a mistyped one (at most two edits away), for "did you mean".
    static func closest(to name: String, among names: [String]) -> String? {
        names.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A secret: the environment variable that holds it, or the setting that names a file holding it.
struct Secret: Sendable {
    /// What it would be called as a key, to explain why the configuration file may not hold it.
    let name: String
    let environmentVariable: String
    let file: Setting

    static let telegramToken = Secret(name: "telegram_token", environmentVariable: "SAMENSPRAAK_TELEGRAM_TOKEN", file: .telegramTokenFile)
    static let staffToken = Secret(name: "staff_token", environmentVariable: "SAMENSPRAAK_STAFF_TOKEN", file: .staffTokenFile)
    static let metricsToken = Secret(name: "metrics_token", environmentVariable: "SAMENSPRAAK_METRICS_TOKEN", file: .metricsTokenFile)
    static let whatsappToken = Secret(name: "whatsapp_token", environmentVariable: "SAMENSPRAAK_WHATSAPP_TOKEN", file: .whatsappTokenFile)
    static let whatsappAppSecret = Secret(name: "whatsapp_app_secret", environmentVariable: "SAMENSPRAAK_WHATSAPP_APP_SECRET", file: .whatsappAppSecretFile)
    static let whatsappVerifyToken = Secret(name: "whatsapp_verify_token", environmentVariable: "SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN", file: .whatsappVerifyTokenFile)
    static let twilioAuthToken = Secret(name: "twilio_auth_token", environmentVariable: "SAMENSPRAAK_TWILIO_AUTH_TOKEN", file: .twilioAuthTokenFile)
    static let translationKey = Secret(name: "translation_key", environmentVariable: "SAMENSPRAAK_TRANSLATION_KEY", file: .translationKeyFile)
    static let matrixPassword = Secret(name: "matrix_password", environmentVariable: "SAMENSPRAAK_MATRIX_PASSWORD", file: .matrixPasswordFile)
    static let matrixAccessToken = Secret(name: "matrix_access_token", environmentVariable: "SAMENSPRAAK_MATRIX_ACCESS_TOKEN", file: .matrixAccessTokenFile)
    /// What the Matrix device's encryption keys are stored under (encrypted) in the database; without it, no end-to-end encryption.
    static let matrixPickleKey = Secret(name: "matrix_pickle_key", environmentVariable: "SAMENSPRAAK_MATRIX_PICKLE_KEY", file: .matrixPickleKeyFile)
    static let all = [telegramToken, staffToken, metricsToken, whatsappToken, whatsappAppSecret, whatsappVerifyToken, twilioAuthToken, translationKey,
                      matrixPassword, matrixAccessToken, matrixPickleKey]
}
