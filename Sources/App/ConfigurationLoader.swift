import DataFiles
import Foundation
import Matrix
import SamenspraakCore
import SMS
import Telegram
import WhatsApp

/// Resolves every setting from its four places (command line > environment > configuration file > default),
/// checks each value, and builds the `AppConfiguration`. Every wrong value is reported, all at once, naming where
/// it came from (`--port`, `SAMENSPRAAK_PORT`, `samenspraak.yaml:7`) and what is allowed.
public struct ConfigurationLoader {
    /// The options given on the command line, as typed.
    public var commandLine: [Setting: String]
    public var environment: [String: String]
    /// `--config`; when nil, `SAMENSPRAAK_CONFIG` may name the file; without either there is none.
    public var configFile: String?
    /// Defaults that replace the built-in ones (a board's schools take the board's flows and texts).
    public var defaults: [Setting: String]

    public init(commandLine: [Setting: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment, configFile: String? = nil,
                defaults: [Setting: String] = [:]) {
        self.commandLine = commandLine
        self.environment = environment
        self.configFile = configFile
        self.defaults = defaults
    }

    /// Where a value came from, for the messages.
    public enum Origin: Sendable, Equatable {
        case commandLine(Setting)
        case environment(String)
        case file(String, line: Int?)
        case defaultValue

        func issue(_ message: String, about setting: Setting) -> FileIssue {
            switch self {
            case .commandLine(let setting): FileIssue(file: setting.option, line: nil, message: message)
            case .environment(let name): FileIssue(file: name, line: nil, message: message)
            case .file(let path, let line): FileIssue(file: path, line: line, message: "\(setting.key) \(message)")
            case .defaultValue:
                FileIssue(file: setting.option, line: nil,
                          message: "\(message) (the default; set \(setting.option), \(setting.environmentVariable) or \(setting.key) in the configuration file)")
            }
        }
    }

    public func load() throws(FileIssues) -> LoadedConfiguration {
        var issues: [FileIssue] = []
        var file: ConfigurationFile?
        let configPath = configFile ?? nonEmpty(environment[Setting.configEnvironmentVariable])
        if let configPath {
            file = ConfigurationFile.load(path: configPath)
            issues += file?.issues ?? []
        }
        issues += unknownEnvironmentVariables()
        /// The winning text of a setting and its origin; paths from the file are made relative to the file's folder.
        func raw(_ setting: Setting) -> (text: String, origin: Origin)? {
            if let text = commandLine[setting] { return (text, .commandLine(setting)) }
            if let text = nonEmpty(environment[setting.environmentVariable]) { return (text, .environment(setting.environmentVariable)) }
            if let file, let entry = file.values[setting] {
                let folder = URL(fileURLWithPath: file.path).deletingLastPathComponent()
                let isRelativePath = setting.isPath && !entry.text.hasPrefix("/") && !entry.text.contains("://")
                let text = isRelativePath ? folder.appendingPathComponent(entry.text).path : entry.text
                return (text, .file(file.path, line: entry.line))
            }
            return defaults[setting].map { ($0, .defaultValue) }
        }
        var origins: [Setting: Origin] = [:]
        /// A setting's checked value, or the default; a wrong value is reported and the default used to go on checking.
        func value<T>(_ setting: Setting, default fallback: T, _ parse: (String) -> Result<T, Problem>) -> T {
            guard let (text, origin) = raw(setting) else {
                origins[setting] = .defaultValue
                return fallback
            }
            origins[setting] = origin
            switch parse(text) {
            case .success(let parsed): return parsed
            case .failure(let problem):
                issues.append(origin.issue(problem.message, about: setting))
                return fallback
            }
        }

        let data = value(.data, default: "data", Parse.text)
        let database = value(.database, default: "\(data)/samenspraak.sqlite", Parse.databasePath)
        let school = value(.school, default: "\(data)/school.yaml", Parse.text)
        let conversations = value(.conversations, default: "conversations", Parse.text)
        let locales = value(.locales, default: "locales", Parse.text)
        let host = value(.host, default: "127.0.0.1", Parse.host)
        let port = value(.port, default: 8080, Parse.port)
        let publicURL = value(.publicURL, default: nil, { Parse.url($0).map(Optional.some) })
        let bot = value(.telegramBot, default: nil, { Parse.botName($0).map(Optional.some) })
        let apiURL = value(.telegramAPIURL, default: "https://api.telegram.org", Parse.url)
        let mode = value(.telegramMode, default: TelegramSettings.Mode.polling, Parse.mode)
        let interval = value(.telegramChatInterval, default: 1.0, Parse.seconds)
        let perSecond = value(.telegramPerSecond, default: 30, Parse.perSecond)
        let retentionDays = value(.retentionDays, default: nil, { Parse.retentionDays($0).map(Optional.some) })
        let archiveYears = value(.archiveYears, default: ArchiveRetention.defaultYears, Parse.archiveYears)
        let whatsappPhoneNumberID = value(.whatsappPhoneNumberID, default: nil, { Parse.digits($0, what: "the phone number's id at Meta (WhatsApp Manager → API setup), such as 106540352242922").map(Optional.some) })
        let whatsappNumber = value(.whatsappNumber, default: nil, { Parse.phoneNumber($0).map(Optional.some) })
        let whatsappAPIURL = value(.whatsappAPIURL, default: WhatsAppSettings.defaultAPIURL, Parse.url)
        let whatsappGraphVersion = value(.whatsappGraphVersion, default: WhatsAppSettings.defaultGraphVersion, Parse.graphVersion)
        let whatsappTemplates = value(.whatsappTemplates, default: [:], Parse.templates)
        let smsProvider = value(.smsProvider, default: SMSSettings.Provider.none, Parse.smsProvider)
        let twilioAccountSID = value(.twilioAccountSID, default: nil, { Parse.twilioSID($0, prefix: "AC", what: "the Account SID (Twilio console, Account info)").map(Optional.some) })
        let twilioFrom = value(.twilioFrom, default: nil, { Parse.e164($0).map(Optional.some) })
        let twilioService = value(.twilioMessagingServiceSID, default: nil, {
            Parse.twilioSID($0, prefix: "MG", what: "a Messaging Service SID (Twilio console, Messaging → Services)").map(Optional.some) })
        let twilioAPIURL = value(.twilioAPIURL, default: SMSSettings.defaultAPIURL, Parse.url)
        let matrixHomeserver = value(.matrixHomeserver, default: nil, { Parse.httpsURL($0).map(Optional.some) })
        let matrixUser = value(.matrixUser, default: nil, { Parse.matrixUser($0).map(Optional.some) })
        let matrixAllowedServers = value(.matrixAllowedServers, default: nil, { Parse.serverNames($0).map(Optional.some) })
        let translationProvider = value(.translationProvider, default: TranslationSettings.Name.none, Parse.translationProvider)
        let translationURL = value(.translationURL, default: nil, { Parse.url($0).map(Optional.some) })
        let schools = value(.schools, default: nil, { .success(Optional.some($0)) })
        let translationTimeout = value(.translationTimeoutMS, default: TranslationSettings.defaultTimeoutMilliseconds, Parse.translationTimeout)

        /// A secret from its environment variable, or from the file its setting names (the whole file, trimmed).
        func secret(_ secret: Secret) -> String? {
            if let token = nonEmpty(environment[secret.environmentVariable]) { return token }
            return value(secret.file, default: nil) { path in
                guard let data = FileManager.default.contents(atPath: path) else { return .failure(Problem("names \"\(path)\", which cannot be read")) }
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return token.isEmpty ? .failure(Problem("names \"\(path)\", which is empty")) : .success(token)
            }
        }
        let telegramToken = secret(.telegramToken)
        let staffToken = secret(.staffToken)
        let metricsToken = secret(.metricsToken)
        let whatsappToken = secret(.whatsappToken)
        let whatsappAppSecret = secret(.whatsappAppSecret)
        let whatsappVerifyToken = secret(.whatsappVerifyToken)
        let twilioAuthToken = secret(.twilioAuthToken)
        let translationKey = secret(.translationKey)
        let matrixPassword = secret(.matrixPassword)
        let matrixAccessToken = secret(.matrixAccessToken)
        let matrixPickleKey = secret(.matrixPickleKey)
        if whatsappToken != nil {
            // Every part is needed at once: without the app secret no webhook request can be trusted, without the
            // verify token Meta cannot register the webhook, without the id nothing can be sent.
            let missing = [(whatsappAppSecret == nil, "the app secret (SAMENSPRAAK_WHATSAPP_APP_SECRET or whatsapp_app_secret_file)"),
                           (whatsappVerifyToken == nil, "a verify token (SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN or whatsapp_verify_token_file)"),
                           (whatsappPhoneNumberID == nil, "the phone number id (whatsapp_phone_number_id)")].filter(\.0).map(\.1)
            if !missing.isEmpty {
                issues.append(FileIssue(file: Secret.whatsappToken.environmentVariable, line: nil,
                                        message: "WhatsApp's access token is set, so WhatsApp also needs " + missing.joined(separator: ", ")))
            }
            if !(publicURL ?? "").hasPrefix("https://") {
                issues.append((origins[.publicURL] ?? .defaultValue).issue(
                    "must be an https:// address when WhatsApp is configured (Meta posts to <public_url>/whatsapp/webhook only over HTTPS)", about: .publicURL))
            }
        }

        let smsOrigin = origins[.smsProvider] ?? .defaultValue
        switch smsProvider {
        case .twilio:
            // Every part is needed at once: without the auth token nothing can be sent and no webhook request trusted.
            let missing = [(twilioAccountSID == nil, "twilio_account_sid (the Account SID, AC…)"),
                           (twilioAuthToken == nil, "the auth token (SAMENSPRAAK_TWILIO_AUTH_TOKEN or twilio_auth_token_file)"),
                           (twilioFrom == nil && twilioService == nil, "twilio_from (the school's number, such as +3197010203040) or twilio_messaging_service_sid")]
                .filter(\.0).map(\.1)
            if !missing.isEmpty { issues.append(smsOrigin.issue("is twilio, which also needs " + missing.joined(separator: ", "), about: .smsProvider)) }
            if twilioFrom != nil, twilioService != nil, let origin = origins[.twilioMessagingServiceSID] {
                issues.append(origin.issue("and twilio_from are both set; give one of them (the Messaging Service picks the number itself)",
                                           about: .twilioMessagingServiceSID))
            }
            if !(publicURL ?? "").hasPrefix("https://") {
                issues.append((origins[.publicURL] ?? .defaultValue).issue(
                    "must be an https:// address when SMS is configured (Twilio posts to <public_url>/sms/twilio and signs that address)", about: .publicURL))
            }
        case .none:
            // Twilio's values without the provider are a half-finished set-up: say so rather than ignore them.
            for setting in [Setting.twilioAccountSID, .twilioFrom, .twilioMessagingServiceSID] {
                guard let origin = origins[setting], origin != .defaultValue else { continue }
                issues.append(origin.issue("is set but sms_provider is not twilio", about: setting))
            }
            if twilioAuthToken != nil {
                issues.append(FileIssue(file: Secret.twilioAuthToken.environmentVariable, line: nil, message: "is set but sms_provider is not twilio"))
            }
        }

        // Matrix: the homeserver, the bot's user id and one way of logging in, all at once, or none of it.
        let matrixGiven = [origins[.matrixHomeserver], origins[.matrixUser], origins[.matrixAllowedServers]].contains { $0 != nil && $0 != .defaultValue }
            || matrixPassword != nil || matrixAccessToken != nil || matrixPickleKey != nil
        if matrixGiven {
            let missing = [(matrixHomeserver == nil, "matrix_homeserver (the homeserver's https:// address, such as https://matrix.school.nl)"),
                           (matrixUser == nil, "matrix_user (the bot's user id, such as @samenspraak:school.nl)"),
                           (matrixPassword == nil && matrixAccessToken == nil,
                            "a password (SAMENSPRAAK_MATRIX_PASSWORD or matrix_password_file) or an access token (SAMENSPRAAK_MATRIX_ACCESS_TOKEN or matrix_access_token_file)")]
                .filter(\.0).map(\.1)
            if !missing.isEmpty {
                let message = "is set, so Matrix also needs " + missing.joined(separator: ", ")
                let given = [Setting.matrixHomeserver, .matrixUser, .matrixAllowedServers].first { origins[$0] != nil && origins[$0] != .defaultValue }
                if let given, let origin = origins[given] {
                    issues.append(origin.issue(message, about: given))
                } else {
                    let secret = matrixPassword != nil ? Secret.matrixPassword : matrixAccessToken != nil ? Secret.matrixAccessToken : Secret.matrixPickleKey
                    issues.append(FileIssue(file: secret.environmentVariable, line: nil, message: message))
                }
            }
            if matrixPassword != nil, matrixAccessToken != nil {
                issues.append(FileIssue(file: Secret.matrixAccessToken.environmentVariable, line: nil,
                                        message: "and the Matrix password are both set; give one of them"))
            }
        }

        if telegramToken != nil, mode == .webhook, let origin = origins[.telegramMode] {
            if !(publicURL ?? "").hasPrefix("https://") {
                issues.append(origin.issue("is webhook, which needs public_url to be an https:// address (Telegram posts only over HTTPS)", about: .telegramMode))
            }
        }
        let translationOrigin = origins[.translationProvider] ?? .defaultValue
        if translationProvider == .libretranslate, translationURL == nil {
            issues.append(translationOrigin.issue(
                "is libretranslate, which needs translation_url: the LibreTranslate server's address, such as https://translate.school.nl", about: .translationProvider))
        }
        if translationProvider == .deepl, translationKey == nil {
            issues.append(translationOrigin.issue("is deepl, which needs DeepL's API key: set SAMENSPRAAK_TRANSLATION_KEY or translation_key_file",
                                                  about: .translationProvider))
        }
        if !issues.isEmpty { throw FileIssues(issues) }

        let telegram = telegramToken.map {
            TelegramSettings(token: $0, botName: bot, apiURL: apiURL, mode: mode,
                             limits: .init(perChatInterval: .milliseconds(Int64((interval * 1000).rounded())), perSecond: perSecond))
        }
        var whatsapp: WhatsAppSettings?
        if let whatsappToken, let whatsappAppSecret, let whatsappVerifyToken, let whatsappPhoneNumberID {
            whatsapp = WhatsAppSettings(accessToken: whatsappToken, appSecret: whatsappAppSecret, verifyToken: whatsappVerifyToken,
                                        phoneNumberID: whatsappPhoneNumberID, number: whatsappNumber, apiURL: whatsappAPIURL,
                                        graphVersion: whatsappGraphVersion, templates: whatsappTemplates)
        }
        var sms: SMSSettings?
        if smsProvider == .twilio, let twilioAccountSID, let twilioAuthToken, let sender = twilioService.map(TwilioClient.Sender.messagingService) ?? twilioFrom.map(TwilioClient.Sender.number) {
            sms = SMSSettings(accountSID: twilioAccountSID, authToken: twilioAuthToken, sender: sender, apiURL: twilioAPIURL)
        }
        var matrix: MatrixSettings?
        if let matrixHomeserver, let matrixUser, let credentials = matrixPassword.map(MatrixCredentials.password) ?? matrixAccessToken.map(MatrixCredentials.accessToken) {
            matrix = MatrixSettings(homeserver: matrixHomeserver, userID: matrixUser, credentials: credentials, allowedServers: matrixAllowedServers,
                                    pickleKey: matrixPickleKey)
        }
        let translation: TranslationSettings? = switch translationProvider {
        case .none: nil
        case .libretranslate: translationURL.map { TranslationSettings(provider: .libreTranslate(url: $0, key: translationKey), timeout: .milliseconds(translationTimeout)) }
        case .deepl: translationKey.map { TranslationSettings(provider: .deepL(key: $0, url: translationURL), timeout: .milliseconds(translationTimeout)) }
        }
        let configuration = AppConfiguration(databasePath: database, schoolFile: school, conversationsDirectory: conversations, localesDirectory: locales,
                                             host: host, port: port, publicURL: publicURL, telegram: telegram, whatsapp: whatsapp, sms: sms, matrix: matrix, staffToken: staffToken,
                                             metricsToken: metricsToken, retention: retentionDays.map { .days($0) } ?? .standard, archiveYears: archiveYears,
                                             translation: translation)
        return LoadedConfiguration(configuration: configuration, dataDirectory: data, telegramBot: bot, whatsappNumber: whatsappNumber,
                                   smsNumber: twilioFrom, matrixUser: matrixUser, schoolsDirectory: schools, origins: origins)
    }

    func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }

    /// A `SAMENSPRAAK_*` variable that is no setting is a misspelling: reported like an unknown key in the file, with
    /// the closest known name. Empty ones count as not set, as everywhere.
    func unknownEnvironmentVariables() -> [FileIssue] {
        let known = Setting.knownEnvironmentVariables
        return environment.filter { $0.key.hasPrefix("SAMENSPRAAK_") && !$0.value.isEmpty && !known.contains($0.key) }.keys.sorted().map { name in
            let message = if let suggestion = Setting.closest(to: name, among: known) {
                "is not a setting (did you mean \(suggestion)?)"
            } else {
                "is not a setting; the variables are: \(known.joined(separator: ", "))"
            }
            return FileIssue(file: name, line: nil, message: message)
        }
    }
}

/// The resolved configuration, with what the commands need beside it.
public struct LoadedConfiguration: Sendable {
    public let configuration: AppConfiguration
    /// The folder for the database and a demo school.
    public let dataDirectory: String
    /// The bot's username for deep links, also when this command has no token.
    public let telegramBot: String?
    /// The WhatsApp number for wa.me links, also when this command has no token.
    public let whatsappNumber: String?
    /// The school's SMS number (`twilio_from`) and the Matrix bot's user id, for the letters, also without their secrets.
    public let smsNumber: String?
    public let matrixUser: String?
    /// Set for a school board's daemon: the folder with one folder per school (`Board`).
    public let schoolsDirectory: String?
    let origins: [Setting: ConfigurationLoader.Origin]

    /// Whether `setting` was given anywhere rather than left to its default.
    public func isSet(_ setting: Setting) -> Bool { (origins[setting] ?? .defaultValue) != .defaultValue }

    /// The school file, flows and texts must be there before anything is loaded; a missing one is reported at the
    /// setting that named it. `schoolMayBeMissing`: the demo writes one.
    public func checkFilesExist(schoolMayBeMissing: Bool = false) throws(FileIssues) {
        var issues: [FileIssue] = []
        func check(_ setting: Setting, _ path: String, folder: Bool) {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            guard !exists || isFolder.boolValue != folder else { return }
            let what = exists ? (folder ? "is a file, not a folder" : "is a folder, not a file") : "does not exist"
            issues.append((origins[setting] ?? .defaultValue).issue("names \"\(path)\", which \(what)", about: setting))
        }
        if !schoolMayBeMissing { check(.school, configuration.schoolFile, folder: false) }
        check(.conversations, configuration.conversationsDirectory, folder: true)
        check(.locales, configuration.localesDirectory, folder: true)
        if !issues.isEmpty { throw FileIssues(issues) }
    }

    /// The daemon needs the bot's token once a bot is named: otherwise invite letters would promise a Telegram
    /// link that nobody answers.
    public func checkTelegramToken() throws(FileIssues) {
        guard telegramBot != nil, configuration.telegram == nil, let origin = origins[.telegramBot] else { return }
        throw FileIssues([origin.issue("is set but there is no token: set SAMENSPRAAK_TELEGRAM_TOKEN or telegram_token_file", about: .telegramBot)])
    }

    /// Likewise for WhatsApp: a number in the letters needs the daemon to answer it.
    public func checkWhatsAppToken() throws(FileIssues) {
        guard configuration.whatsapp == nil else { return }
        for setting in [Setting.whatsappNumber, .whatsappPhoneNumberID] {
            guard let origin = origins[setting], origin != .defaultValue else { continue }
            throw FileIssues([origin.issue("is set but there is no access token: set SAMENSPRAAK_WHATSAPP_TOKEN or whatsapp_token_file", about: setting)])
        }
    }
}

/// Why a value was refused, said as the rest of a sentence about the setting ("must be …, not …").
struct Problem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The checks of each kind of value.
enum Parse {
    static func text(_ text: String) -> Result<String, Problem> { .success(text) }

    /// An SQLite file's path or a postgres:// URL; any other address is refused rather than made a file name.
    static func databasePath(_ text: String) -> Result<String, Problem> {
        do {
            _ = try DatabaseLocation(text)
            return .success(text)
        } catch {
            return .failure(Problem(error.description))
        }
    }

    static func host(_ text: String) -> Result<String, Problem> {
        text.contains(where: { $0.isWhitespace || $0 == "/" })
            ? .failure(Problem("must be a host name or IP address to listen on (such as 127.0.0.1 or 0.0.0.0), not \"\(text)\""))
            : .success(text)
    }

    static func port(_ text: String) -> Result<Int, Problem> {
        guard let port = Int(text), (0...65535).contains(port) else {
            return .failure(Problem("must be a whole number from 1 to 65535 (0: any free port), not \"\(text)\""))
        }
        return .success(port)
    }

    /// An http(s) address without a trailing slash (links are made by appending paths).
    static func url(_ text: String) -> Result<String, Problem> {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
              url.query == nil, url.fragment == nil else {
            return .failure(Problem("must be an http:// or https:// address such as https://ouders.school.nl, not \"\(text)\""))
        }
        return .success(trimmed)
    }

    static func botName(_ text: String) -> Result<String, Problem> {
        let name = text.hasPrefix("@") ? String(text.dropFirst()) : text
        guard (5...32).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            return .failure(Problem("must be the bot's username (5 to 32 letters, digits or _, such as MySchoolBot), not \"\(text)\""))
        }
        return .success(name)
    }

    static func mode(_ text: String) -> Result<TelegramSettings.Mode, Problem> {
        TelegramSettings.Mode(rawValue: text).map { .success($0) }
            ?? .failure(Problem("must be one of \(TelegramSettings.Mode.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\""))
    }

    static func seconds(_ text: String) -> Result<Double, Problem> {
        guard let seconds = Double(text), seconds.isFinite, (0...3600).contains(seconds) else {
            return .failure(Problem("must be a number of seconds from 0 to 3600 (such as 1 or 0.5), not \"\(text)\""))
        }
        return .success(seconds)
    }

    /// At least a week: the weekly limit on reminders counts the last seven days' messages.
    static func retentionDays(_ text: String) -> Result<Int, Problem> {
        guard let days = Int(text), days >= Retention.minimumDays else {
            return .failure(Problem("must be a whole number of days, at least \(Retention.minimumDays) (the weekly limit on reminders counts the last seven days' messages), not \"\(text)\""))
        }
        return .success(days)
    }

    static func archiveYears(_ text: String) -> Result<Int, Problem> {
        let range = ArchiveRetention.allowedYears
        guard let years = Int(text), range.contains(years) else {
            return .failure(Problem("must be a whole number of years from \(range.lowerBound) to \(range.upperBound), not \"\(text)\""))
        }
        return .success(years)
    }

    static func digits(_ text: String, what: String) -> Result<String, Problem> {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(Problem("must be \(what), digits only, not \"\(text)\"")) }
        return .success(text)
    }

    /// A phone number in international form for wa.me links: "+31 6 1234 5678" becomes 31612345678.
    static func phoneNumber(_ text: String) -> Result<String, Problem> {
        let digits = text.filter { !" -+().".contains($0) }
        guard (8...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), !digits.hasPrefix("0") else {
            return .failure(Problem("must be the WhatsApp number in international form with the country code, such as 31612345678 or +31 6 1234 5678, not \"\(text)\""))
        }
        return .success(digits)
    }

    static func graphVersion(_ text: String) -> Result<String, Problem> {
        let parts = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard text.hasPrefix("v"), parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            return .failure(Problem("must be a Graph API version such as v23.0, not \"\(text)\""))
        }
        return .success(text)
    }

    /// "nl=samenspraak_bericht:nl, en=samenspraak_message:en_US": per language, the approved template's name and
    /// WhatsApp's language code for it.
    static func templates(_ text: String) -> Result<[String: WhatsAppTemplate], Problem> {
        var templates: [String: WhatsAppTemplate] = [:]
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let halves = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let named = halves.count == 2 ? halves[1].split(separator: ":", maxSplits: 1).map(String.init) : []
            guard halves.count == 2, named.count == 2, !halves[0].isEmpty, halves[0].allSatisfy({ $0.isASCII && $0.isLowercase }),
                  named[0].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }), !named[0].isEmpty,
                  named[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") }), !named[1].isEmpty else {
                return .failure(Problem("must list language=template_name:language_code, separated by commas (such as "
                                        + "nl=samenspraak_bericht:nl, en=samenspraak_message:en_US), not \"\(entry)\""))
            }
            templates[halves[0]] = WhatsAppTemplate(name: named[0], languageCode: named[1])
        }
        return .success(templates)
    }

    /// An https:// address (a homeserver: the access token travels with every request).
    static func httpsURL(_ text: String) -> Result<String, Problem> {
        switch url(text) {
        case .success(let address) where address.lowercased().hasPrefix("https://"): return .success(address)
        case .success: return .failure(Problem("must be an https:// address such as https://matrix.school.nl, not \"\(text)\""))
        case .failure(let problem): return .failure(Problem(problem.message.replacingOccurrences(of: "an http:// or https://", with: "an https://")))
        }
    }

    /// "@localpart:server.name", as Matrix writes user ids.
    static func matrixUser(_ text: String) -> Result<String, Problem> {
        let parts = text.dropFirst().split(separator: ":", maxSplits: 1)
        let localpart = parts.first ?? ""
        guard text.hasPrefix("@"), parts.count == 2, !localpart.isEmpty,
              localpart.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._=-/+".contains($0)) }), case .success = serverName(String(parts[1])) else {
            return .failure(Problem("must be the bot's Matrix user id, such as @samenspraak:school.nl, not \"\(text)\""))
        }
        return .success(text)
    }

    /// "matrix.org" or "school.nl:8448": a homeserver's name as user ids end.
    static func serverName(_ text: String) -> Result<String, Problem> {
        let halves = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = halves.first ?? ""
        let portOK = halves.count == 1 || (halves[1].count <= 5 && !halves[1].isEmpty && halves[1].allSatisfy(\.isNumber))
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }), !host.hasPrefix("."),
              !host.hasSuffix("."), portOK else {
            return .failure(Problem("must name homeservers as user ids end, such as school.nl, matrix.org; not \"\(text)\""))
        }
        return .success(text.lowercased())
    }

    /// Homeservers separated by commas ("school.nl, matrix.org").
    static func serverNames(_ text: String) -> Result<[String], Problem> {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { return .failure(Problem("must name at least one homeserver, such as school.nl, matrix.org")) }
        var servers: [String] = []
        for name in names {
            switch serverName(name) {
            case .success(let server): servers.append(server)
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(servers)
    }

    static func smsProvider(_ text: String) -> Result<SMSSettings.Provider, Problem> {
        SMSSettings.Provider(rawValue: text).map { .success($0) }
            ?? .failure(Problem("must be one of \(SMSSettings.Provider.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\""))
    }

    /// "AC" or "MG" and 32 hexadecimal digits, as the Twilio console shows them.
    static func twilioSID(_ text: String, prefix: String, what: String) -> Result<String, Problem> {
        let hex = text.dropFirst(2)
        guard text.hasPrefix(prefix), hex.count == 32, hex.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            return .failure(Problem("must be \(what): \(prefix) and 32 hexadecimal digits, not \"\(text)\""))
        }
        return .success(text)
    }

    /// A number in E.164, as Twilio wants it: "+31 97 0102 03040" becomes +3197010203040.
    static func e164(_ text: String) -> Result<String, Problem> {
        let digits = text.filter { !" -().".contains($0) }
        guard digits.hasPrefix("+"), (8...15).contains(digits.count - 1), digits.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }),
              !digits.dropFirst().hasPrefix("0") else {
            return .failure(Problem("must be the school's Twilio number in international form with + and the country code, such as +3197010203040, not \"\(text)\""))
        }
        return .success(digits)
    }

    static func translationProvider(_ text: String) -> Result<TranslationSettings.Name, Problem> {
        TranslationSettings.Name(rawValue: text).map { .success($0) }
            ?? .failure(Problem("must be one of \(TranslationSettings.Name.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\""))
    }

    static func translationTimeout(_ text: String) -> Result<Int, Problem> {
        let range = TranslationSettings.allowedTimeoutMilliseconds
        guard let milliseconds = Int(text), range.contains(milliseconds) else {
            return .failure(Problem("must be a whole number of milliseconds from \(range.lowerBound) to \(range.upperBound) (such as 2000), not \"\(text)\""))
        }
        return .success(milliseconds)
    }

    /// Telegram allows about 30 messages a second (1,000 with paid broadcasts); more is for a test server.
    static func perSecond(_ text: String) -> Result<Int, Problem> {
        guard let count = Int(text), (1...10_000).contains(count) else {
            return .failure(Problem("must be a whole number from 1 to 10000, not \"\(text)\""))
        }
        return .success(count)
    }
}
