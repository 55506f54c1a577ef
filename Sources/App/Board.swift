import DataFiles
import Foundation
import Logging
import SamenspraakCore

/// A school board's deployment: one daemon for several schools. Each school is a folder in the `schools` folder (the
/// folder's name is the school's id) with its own `samenspraak.yaml`: its school file, database, public address, bots
/// and secret files. Schools share the process, the listening port and the shipped flows and texts, nothing else: each
/// has its own database and its own host name, so a request or a chat message only ever reaches the school whose
/// address or bot it came to.
public struct Board: Sendable {
    public struct School: Sendable {
        /// The folder's name: in logs and messages, never in anything parents see.
        public let id: String
        /// Its `samenspraak.yaml`.
        public let configFile: String
        public let loaded: LoadedConfiguration
        /// The host name of its public address, lower case; requests are routed to the school by their Host header.
        public let hostName: String
        public var configuration: AppConfiguration { loaded.configuration }
    }

    public let directory: String
    public let schools: [School]

    public static let schoolFileName = "samenspraak.yaml"

    /// Reads every school's configuration in the board's `schools` folder; the board's `conversations` and `locales`
    /// are the schools' defaults. Every problem in every school is reported at once, naming file and line.
    public static func load(_ board: LoadedConfiguration) throws(FileIssues) -> Board {
        guard let directory = board.schoolsDirectory else { throw FileIssues([FileIssue(file: Setting.schools.option, line: nil, message: "is not set")]) }
        var issues = boardLevelIssues(board)
        let folders: [URL]
        do {
            folders = try FileManager.default.contentsOfDirectory(at: URL(fileURLWithPath: directory), includingPropertiesForKeys: [.isDirectoryKey])
                .filter { !$0.lastPathComponent.hasPrefix(".") && (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw FileIssues([(board.origins[.schools] ?? .defaultValue).issue("names \"\(directory)\", which is not a folder that can be read", about: .schools)])
        }
        if folders.isEmpty {
            issues.append(FileIssue(file: directory, line: nil, message: "holds no school: add a folder per school, each with its \(schoolFileName)"))
        }
        let defaults: [Setting: String] = [.conversations: board.configuration.conversationsDirectory, .locales: board.configuration.localesDirectory]
        var schools: [School] = []
        for folder in folders {
            let id = folder.lastPathComponent
            let path = folder.appendingPathComponent(schoolFileName).path
            guard id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                issues.append(FileIssue(file: folder.path, line: nil,
                                        message: "is no school id: name a school's folder with lower-case letters, digits and dashes (such as de-klimop)"))
                continue
            }
            guard FileManager.default.fileExists(atPath: path) else {
                issues.append(FileIssue(file: folder.path, line: nil, message: "has no \(schoolFileName); each school's folder needs one"))
                continue
            }
            do throws(FileIssues) {
                // No environment: a SAMENSPRAAK_* variable would apply to every school at once (one bot token for all).
                let loaded = try ConfigurationLoader(environment: [:], configFile: path, defaults: defaults).load()
                let schoolIssues = schoolLevelIssues(loaded, path: path)
                issues += schoolIssues
                if schoolIssues.isEmpty, let host = URL(string: loaded.configuration.publicURL)?.host?.lowercased() {
                    schools.append(School(id: id, configFile: path, loaded: loaded, hostName: host))
                }
            } catch {
                issues += error.issues
            }
        }
        issues += sharedByTwo(schools, directory: directory)
        if !issues.isEmpty { throw FileIssues(issues) }
        return Board(directory: directory, schools: schools)
    }

    /// Settings and secrets that belong to one school, given to the whole board.
    static func boardLevelIssues(_ board: LoadedConfiguration) -> [FileIssue] {
        var issues = Setting.allCases.filter { !Setting.boardSettings.contains($0) && board.isSet($0) }.map { setting in
            (board.origins[setting] ?? .defaultValue).issue("belongs to one school: put it in that school's \(schoolFileName)", about: setting)
        }
        let configuration = board.configuration
        let secrets: [(Bool, Secret)] = [(configuration.telegram != nil, .telegramToken), (configuration.whatsapp != nil, .whatsappToken),
                                         (configuration.sms != nil, .twilioAuthToken), (configuration.matrix != nil, .matrixPassword),
                                         (configuration.staffToken != nil, .staffToken), (configuration.metricsToken != nil, .metricsToken),
                                         (configuration.translation != nil, .translationKey)]
        for (given, secret) in secrets where given {
            issues.append(FileIssue(file: secret.environmentVariable, line: nil,
                                    message: "belongs to one school: name a file holding it with \(secret.file.key) in that school's \(schoolFileName)"))
        }
        return issues
    }

    /// What a school's file must say, and may not, when it is one of a board's schools.
    static func schoolLevelIssues(_ school: LoadedConfiguration, path: String) -> [FileIssue] {
        var issues: [FileIssue] = []
        for setting in [Setting.host, .port, .schools] where school.isSet(setting) {
            issues.append((school.origins[setting] ?? .defaultValue).issue("is the board's setting, not a school's (the board listens for all its schools)",
                                                                           about: setting))
        }
        let required: [(Setting, String)] = [
            (.school, "its school file, such as school: school.yaml next to this file"),
            (.database, "its own database, such as database: samenspraak.sqlite next to this file (the command line then finds it with --config \(path))"),
            (.publicURL, "its own address, such as public_url: https://klimop.ouders.example.nl (requests reach a school by its host name)"),
        ]
        for (setting, what) in required where !school.isSet(setting) {
            issues.append(FileIssue(file: path, line: nil, message: "needs \(setting.key): \(what)"))
        }
        return issues
    }

    /// Two schools on one host name, database, bot or number would receive each other's requests or messages.
    static func sharedByTwo(_ schools: [School], directory: String) -> [FileIssue] {
        var issues: [FileIssue] = []
        func unique(_ what: String, _ key: (School) -> String?) {
            var first: [String: String] = [:]
            for school in schools {
                guard let value = key(school) else { continue }
                if let earlier = first[value] {
                    issues.append(FileIssue(file: school.configFile, line: nil,
                                            message: "uses the same \(what) as the school \(earlier); each school needs its own"))
                } else {
                    first[value] = school.id
                }
            }
        }
        unique("host name in public_url") { $0.hostName }
        unique("database") { school -> String in
            switch school.configuration.databaseLocation {
            case .sqlite(let path): URL(fileURLWithPath: path).standardizedFileURL.path
            case .postgres(let location): location.description
            }
        }
        unique("Telegram bot (token)") { $0.configuration.telegram?.token }
        unique("WhatsApp number (phone number id)") { $0.configuration.whatsapp?.phoneNumberID }
        unique("Twilio sender") { $0.configuration.sms.map { "\($0.accountSID) \($0.sender)" } }
        unique("Matrix account") { $0.configuration.matrix.map { "\($0.homeserver) \($0.userID)" } }
        return issues
    }
}

extension Board {
    /// Loads every school as the daemon runs it (school file, database, shared flows and texts); every problem in
    /// every school is reported at once.
    public func runtimes(clock: any Clock = SystemClock(), logger: Logger) throws(FileIssues) -> [(school: School, runtime: Runtime)] {
        var issues: [FileIssue] = []
        var contents: [String: Content] = [:]
        var loaded: [(school: School, runtime: Runtime)] = []
        for school in schools {
            do {
                try school.loaded.checkFilesExist()
                try school.loaded.checkTelegramToken()
                try school.loaded.checkWhatsAppToken()
                let configuration = school.configuration
                let contentKey = configuration.conversationsDirectory + "\n" + configuration.localesDirectory
                let content = try contents[contentKey] ?? Content.loadValidated(conversations: configuration.conversationsDirectory,
                                                                                  locales: configuration.localesDirectory)
                contents[contentKey] = content
                var schoolLogger = logger
                schoolLogger[metadataKey: "school"] = "\(school.id)"
                loaded.append((school, try Runtime.load(configuration, content: content, clock: clock, logger: schoolLogger)))
            } catch let error as FileIssues {
                issues += error.issues
            } catch let error as FileIssue {
                issues.append(error)
            } catch {
                issues.append(FileIssue(file: school.configFile, line: nil, message: "cannot be started: \(error)"))
            }
        }
        if !issues.isEmpty { throw FileIssues(issues) }
        return loaded
    }
}
