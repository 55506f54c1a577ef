import ChannelKit
import Conversations
import DataFiles
import Foundation
import Localization
import Logging
import SamenspraakCore
import SchoolSetup
import Storage
import Telegram
import Translation
import WhatsApp

/// Where everything lives; the command line fills it, tests pass their own.
public struct AppConfiguration: Sendable {
    /// The `database` setting as given: an SQLite file's path or a postgres:// URL (`databaseLocation` reads it).
    public var databasePath: String
    public var schoolFile: String
    public var conversationsDirectory: String
    public var localesDirectory: String
    public var host: String
    public var port: Int
    /// The address parents reach the daemon at, used in invite and calendar links.
    public var publicURL: String
    /// Set when a Telegram bot is configured.
    public var telegram: TelegramSettings?
    /// Set when a WhatsApp Business number is configured.
    public var whatsapp: WhatsAppSettings?
    /// Set when an SMS provider (Twilio) is configured.
    public var sms: SMSSettings?
    /// Set when a Matrix bot account is configured.
    public var matrix: MatrixSettings?
    /// The bearer token of the staff JSON API (a secret, from the environment only); nil: the API is off.
    public var staffToken: String?
    /// When set (a secret, from the environment or a file only), /metrics needs it as a bearer token and /healthz shows
    /// only its status without it; nil: both are open, for a monitoring network fenced off at the proxy.
    public var metricsToken: String?
    /// How long conversation messages are kept (`MessagePurge`).
    public var retention: Retention
    /// How many years after its school year ended the rollover's archive of it is kept (`ArchivePurge`).
    public var archiveYears: Int
    /// Set when a provider translates free text for parents.
    public var translation: TranslationSettings?

    public init(databasePath: String = "data/samenspraak.sqlite", schoolFile: String = "data/school.yaml",
                conversationsDirectory: String = "conversations", localesDirectory: String = "locales",
                host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil, telegram: TelegramSettings? = nil,
                whatsapp: WhatsAppSettings? = nil, sms: SMSSettings? = nil, matrix: MatrixSettings? = nil, staffToken: String? = nil, metricsToken: String? = nil, retention: Retention = .standard,
                archiveYears: Int = ArchiveRetention.defaultYears, translation: TranslationSettings? = nil) {
        self.databasePath = databasePath
        self.schoolFile = schoolFile
        self.conversationsDirectory = conversationsDirectory
        self.localesDirectory = localesDirectory
        self.host = host
        self.port = port
        self.publicURL = publicURL ?? "http://\(host):\(port)"
        self.telegram = telegram
        self.whatsapp = whatsapp
        self.sms = sms
        self.matrix = matrix
        self.staffToken = staffToken
        self.metricsToken = metricsToken
        self.retention = retention
        self.archiveYears = archiveYears
        self.translation = translation
    }

    /// Where the database is; the setting was checked when the configuration was read.
    public var databaseLocation: DatabaseLocation { (try? DatabaseLocation(databasePath)) ?? .sqlite(path: databasePath) }

    /// Where the rollover keeps its archives (SQLite files): `archive/` beside the SQLite database, or, for a school on
    /// PostgreSQL, beside its school file.
    public var archiveFolder: URL {
        URL(fileURLWithPath: databaseLocation.sqlitePath ?? schoolFile).deletingLastPathComponent().appendingPathComponent("archive")
    }
}

/// A Telegram bot: its token (a secret, never printed), its username for deep links, and the Bot API address.
public struct TelegramSettings: Sendable, CustomStringConvertible {
    /// Long polling needs no public address; a webhook needs the daemon reachable over HTTPS at its public URL.
    public enum Mode: String, Sendable, CaseIterable {
        case polling, webhook
    }

    public var token: String
    public var botName: String?
    public var apiURL: String
    public var mode: Mode
    /// Pacing of sends (Telegram's own limits: about one message per second per chat, 30 per second overall).
    public var limits: TelegramSender.Limits

    public init(token: String, botName: String?, apiURL: String = "https://api.telegram.org", mode: Mode = .polling,
                limits: TelegramSender.Limits = .init()) {
        self.token = token
        self.botName = botName
        self.apiURL = apiURL
        self.mode = mode
        self.limits = limits
    }

    public var description: String { "Telegram bot \(botName ?? "?") via \(apiURL), \(mode.rawValue) (token hidden)" }

    /// The deep link in an invitation letter: opening it binds the parent's Telegram chat to the household.
    public static func deepLink(bot: String, inviteCode: String) -> String { "https://t.me/\(bot)?start=\(inviteCode)" }
}

/// A WhatsApp Business number on the Cloud API: the access token, the app secret that signs the webhook's requests
/// and the verify token of its handshake (secrets, never printed), the number's id at Meta, its number for the wa.me
/// links, the Graph API address and version, and the approved template per language for messages outside the
/// 24-hour window.
public struct WhatsAppSettings: Sendable, CustomStringConvertible {
    public var accessToken: String
    public var appSecret: String
    public var verifyToken: String
    public var phoneNumberID: String
    /// The number parents write to, digits only in international form (31612345678), for the wa.me links.
    public var number: String?
    public var apiURL: String
    public var graphVersion: String
    /// By language ("nl", "ar" …); the Dutch one serves a language without its own.
    public var templates: [String: WhatsAppTemplate]
    /// Pacing of sends (the Cloud API takes 80 messages per second per number; one person gets bursts, then about one every 6 seconds).
    public var limits: WhatsAppSender.Limits

    public static let defaultAPIURL = "https://graph.facebook.com"
    public static let defaultGraphVersion = "v23.0"

    public init(accessToken: String, appSecret: String, verifyToken: String, phoneNumberID: String, number: String? = nil,
                apiURL: String = WhatsAppSettings.defaultAPIURL, graphVersion: String = WhatsAppSettings.defaultGraphVersion,
                templates: [String: WhatsAppTemplate] = [:], limits: WhatsAppSender.Limits = .init(perSecond: 80)) {
        self.accessToken = accessToken
        self.appSecret = appSecret
        self.verifyToken = verifyToken
        self.phoneNumberID = phoneNumberID
        self.number = number
        self.apiURL = apiURL
        self.graphVersion = graphVersion
        self.templates = templates
        self.limits = limits
    }

    public var description: String {
        "WhatsApp number id \(phoneNumberID) via \(apiURL)/\(graphVersion), templates for \(templates.keys.sorted().joined(separator: ", ")) (secrets hidden)"
    }

    /// The link in an invitation letter: it opens a chat with the school's number with the invite code typed in;
    /// sending it binds the parent's WhatsApp number to the household.
    public static func link(number: String, inviteCode: String) -> String { "https://wa.me/\(number)?text=\(inviteCode)" }
}

/// The loaded school, content and database, with the conversation service on top.
public struct Runtime: Sendable {
    public let configuration: AppConfiguration
    public let school: School
    public let database: AppDatabase
    public let service: ConversationService
    /// Where /metrics reads from; `service.monitoring` counts into it.
    public let metrics: MetricsRegistry
    /// Translates free text for parents when a provider is configured; nil: messages go as written.
    public let translator: Translator?

    /// Loads and validates everything; a problem in a data file is thrown as `FileIssues` naming file and line.
    /// `content`: the flows and texts when the caller loaded them already (a board's schools share them).
    public static func load(_ configuration: AppConfiguration, content: Content? = nil, clock: any Clock = SystemClock(), logger: Logger) throws -> Runtime {
        let school = try SchoolFile.load(url: URL(fileURLWithPath: configuration.schoolFile))
        let content = try content ?? Content.loadValidated(conversations: configuration.conversationsDirectory, locales: configuration.localesDirectory)
        let database = try configuration.databaseLocation.open(logger: logger)
        try database.writeNow { tx in
            try tx.synchroniseSlots(SlotGenerator.slots(for: school).map { ($0.teacherID, $0.start, $0.end, $0.kind.rawValue, $0.place) })
        }
        let localizer = Localizer(catalogs: content.catalogs, timeZone: school.timeZone)
        let metrics = MetricsRegistry()
        let translator = configuration.translation?.makeTranslator(logger: logger)
        let service = ConversationService(database: database, flows: content.flows, staffFlows: content.staffFlows, localizer: localizer, school: school, clock: clock,
                                          publicURL: configuration.publicURL, logger: logger, monitoring: metrics.monitoring, translator: translator)
        return Runtime(configuration: configuration, school: school, database: database, service: service, metrics: metrics, translator: translator)
    }

    /// One staff invite link per teacher of the school file, in its order; codes are made on first use.
    public func staffInvites(now: Date = Date()) throws -> [(teacher: Teacher, code: String, link: String)] {
        let codes = try database.writeNow { tx in
            try tx.staffInvites(teacherIDs: school.teachers.map(\.id), makeInviteCode: { InviteCode.generate() }, at: now)
        }
        return school.teachers.compactMap { teacher in
            codes[teacher.id].map { code in
                let display = InviteCode.display(code)
                return (teacher, display, "\(configuration.publicURL)/chat/\(display)")
            }
        }
    }

    /// One invite link per household, in household order.
    public func invites() throws -> [(household: String, code: String, link: String, guardians: [String])] {
        try database.readNow { tx in
            try tx.households().map { household in
                let display = InviteCode.display(household.inviteCode)
                return (household.key, display, "\(configuration.publicURL)/chat/\(display)", try tx.guardians(household: household.id ?? 0).map(\.name))
            }
        }
    }
}

/// Loads a roster into the database in one transaction: a bad file changes nothing.
public enum RosterImporter {
    public static func importRoster(_ roster: Roster, into database: AppDatabase, now: Date = Date()) throws -> (households: Int, children: Int) {
        try database.writeNow { tx in try importRoster(roster, tx: tx, now: now) }
    }

    /// The same inside the caller's transaction (the school-year rollover clears the old year in it first).
    public static func importRoster(_ roster: Roster, tx: Transaction, now: Date) throws -> (households: Int, children: Int) {
        for child in roster.children {
            try tx.upsertChild(ChildRecord(id: child.id, firstName: child.firstName, lastName: child.lastName, groupID: child.groupID))
        }
        for household in roster.households {
            let record = try tx.upsertHousehold(key: household.key, makeInviteCode: { InviteCode.generate() }, at: now)
            try tx.replaceGuardians(household: record.id ?? 0, with: household.guardians.map { ($0.name, $0.phone, $0.language) })
            for childID in household.childIDs { try tx.linkChild(childID, household: record.id ?? 0) }
        }
        return (roster.households.count, roster.children.count)
    }

    /// Reads and validates a roster CSV against the school, then imports it.
    public static func importFile(path: String, school: School, database: AppDatabase) throws -> (households: Int, children: Int) {
        try importRoster(try read(path: path, school: school), into: database)
    }

    /// Reads and validates a roster CSV against the school; a problem is thrown as `FileIssues` naming file and line.
    public static func read(path: String, school: School) throws -> Roster {
        let text: String
        do { text = try TextFile.read(URL(fileURLWithPath: path)) } catch { throw FileIssues([error]) }
        return try RosterCSV.parse(path: path, text: text, school: school, languages: Set(school.languages))
    }
}
