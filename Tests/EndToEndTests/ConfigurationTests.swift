import App
import DataFiles
import Foundation
import Logging
import Testing
import TestSupport

/// The configuration from a real file, the environment and the command line: which one wins, and how every wrong
/// or missing value is named with its source.
@Suite struct ConfigurationTests {
    func write(_ text: String, to name: String, in folder: TemporaryDirectory) throws -> String {
        let path = folder.path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFileWhichWinsOverTheDefault() throws {
        let folder = TemporaryDirectory()
        _ = try write("123456:ABC-secret\n", to: "etc/secrets/telegram-token", in: folder)
        _ = try write("metrics-from-file\n", to: "etc/secrets/metrics-token", in: folder)
        let config = try write("""
            # The school's daemon
            data: state
            port: 9000
            host: 0.0.0.0
            public_url: https://ouders.example.nl/
            telegram_bot: "@MySchoolBot"
            telegram_mode: webhook
            telegram_chat_interval: 0.5
            telegram_per_second: 20
            telegram_token_file: secrets/telegram-token
            metrics_token_file: secrets/metrics-token
            """, to: "etc/samenspraak.yaml", in: folder)

        let fromFile = try ConfigurationLoader(environment: [:], configFile: config).load()
        let configuration = fromFile.configuration
        #expect(configuration.port == 9000 && configuration.host == "0.0.0.0")
        #expect(configuration.publicURL == "https://ouders.example.nl")
        #expect(fromFile.dataDirectory == folder.path("etc/state"), "relative to the configuration file's folder")
        #expect(configuration.databasePath == folder.path("etc/state/samenspraak.sqlite"))
        #expect(configuration.conversationsDirectory == "conversations", "the default")
        let telegram = try #require(configuration.telegram)
        #expect(telegram.token == "123456:ABC-secret" && telegram.botName == "MySchoolBot" && telegram.mode == .webhook)
        #expect(telegram.limits.perChatInterval == .milliseconds(500) && telegram.limits.perSecond == 20)
        #expect(configuration.staffToken == nil && configuration.metricsToken == "metrics-from-file")

        let environment = ["SAMENSPRAAK_PORT": "9100", "SAMENSPRAAK_TELEGRAM_TOKEN": "from-env", "SAMENSPRAAK_STAFF_TOKEN": "staff-secret",
                           "SAMENSPRAAK_DATABASE": "/var/lib/samenspraak/db.sqlite", "SAMENSPRAAK_HOST": ""]
        let fromEnvironment = try ConfigurationLoader(environment: environment, configFile: config).load().configuration
        #expect(fromEnvironment.port == 9100 && fromEnvironment.telegram?.token == "from-env" && fromEnvironment.staffToken == "staff-secret")
        #expect(fromEnvironment.databasePath == "/var/lib/samenspraak/db.sqlite")
        #expect(try ConfigurationLoader(environment: ["SAMENSPRAAK_METRICS_TOKEN": "metrics-from-env"], configFile: config).load()
            .configuration.metricsToken == "metrics-from-env", "the environment wins over the file")
        #expect(fromEnvironment.host == "0.0.0.0", "an empty variable counts as not set")

        let fromCommandLine = try ConfigurationLoader(commandLine: [.port: "9200"], environment: environment, configFile: config).load().configuration
        #expect(fromCommandLine.port == 9200)

        // SAMENSPRAAK_CONFIG names the file when --config does not.
        #expect(try ConfigurationLoader(environment: ["SAMENSPRAAK_CONFIG": config]).load().configuration.port == 9000)
        let defaults = try ConfigurationLoader(environment: [:]).load()
        #expect(defaults.configuration.port == 8080 && defaults.configuration.publicURL == "http://127.0.0.1:8080" && defaults.configuration.telegram == nil)

        // A postgres:// address is a PostgreSQL schema; another address, or a postgres one that names no database, is refused
        // plainly rather than made a file name.
        let postgres = try write("database: postgres://samenspraak@db.example.nl/board?schema=klimop\n", to: "etc/postgres.yaml", in: folder)
        #expect(try ConfigurationLoader(environment: [:], configFile: postgres).load().configuration.databaseLocation.description
                == "postgres://samenspraak@db.example.nl:5432/board?schema=klimop")
        let mysql = try write("database: mysql://samenspraak@db.example.nl/board\n", to: "etc/mysql.yaml", in: folder)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: mysql)) == [
            "\(mysql):1: database is an address but not a postgres:// one; give an SQLite file's path or postgres://user@host:5432/database?schema=name",
        ])
        let noDatabase = try write("database: postgres://samenspraak@db.example.nl\n", to: "etc/nodb.yaml", in: folder)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: noDatabase)) == [
            "\(noDatabase):1: database names no database (postgres://user@host/database)",
        ])
    }

    @Test func aPostgreSQLServerThatCannotBeReachedIsNamedWithoutThePassword() throws {
        var logger = Logger(label: "configuration-test")
        logger.logLevel = .critical
        // Nothing listens on port 9 (discard) here: the connection is refused.
        let location = try DatabaseLocation("postgres://samenspraak:geheim@127.0.0.1:9/board?schema=klimop")
        let error = try #require(throws: DatabaseUnavailable.self) { try location.open(logger: logger) }
        #expect(error.description.hasPrefix("postgres://samenspraak@127.0.0.1:9/board?schema=klimop could not be opened: "))
        #expect(!error.description.contains("geheim"))
        #expect(!error.description.hasSuffix("PSQLError"), "says why: \(error.description)")
    }

    @Test func everyWrongValueIsNamedWithItsFileLineOrVariable() throws {
        let folder = TemporaryDirectory()
        let config = try write("""
            host: 127.0.0.1
            prot: 8080
            port: [8080]
            telegram_token: 123456:ABC
            telegram_mode: push
            public_url: ftp://ouders.example.nl
            telegram_per_second:
            telegram_token_file: nowhere/token
            colour: blue
            """, to: "samenspraak.yaml", in: folder)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: config)) == [
            "\(config):2: unknown key \"prot\" (did you mean \"port\"?)",
            "\(config):3: port must be a single value, not a list or a mapping",
            "\(config):4: telegram_token is a secret and is not read from the configuration file: set SAMENSPRAAK_TELEGRAM_TOKEN in the environment, "
                + "or name a file that holds it with telegram_token_file",
            "\(config):7: telegram_per_second has no value (leave the line out for the default)",
            "\(config):9: unknown key \"colour\"; the keys are: data, database, school, conversations, locales, host, port, public_url, telegram_bot, "
                + "telegram_api_url, telegram_mode, telegram_chat_interval, telegram_per_second, telegram_token_file, whatsapp_phone_number_id, "
                + "whatsapp_number, whatsapp_api_url, whatsapp_graph_version, whatsapp_templates, whatsapp_token_file, whatsapp_app_secret_file, "
                + "whatsapp_verify_token_file, sms_provider, twilio_account_sid, twilio_from, twilio_messaging_service_sid, twilio_api_url, "
                + "twilio_auth_token_file, matrix_homeserver, matrix_user, matrix_allowed_servers, matrix_password_file, matrix_access_token_file, matrix_pickle_key_file, "
                + "staff_token_file, metrics_token_file, retention_days, archive_years, translation_provider, translation_url, "
                + "translation_timeout_ms, translation_key_file, schools",
            "\(config):6: public_url must be an http:// or https:// address such as https://ouders.school.nl, not \"ftp://ouders.example.nl\"",
            "\(config):5: telegram_mode must be one of polling, webhook, not \"push\"",
            "\(config):8: telegram_token_file names \"\(folder.path("nowhere/token"))\", which cannot be read",
        ])

        let environment = ["SAMENSPRAAK_PORT": "eighty", "SAMENSPRAAK_TELEGRAM_CHAT_INTERVAL": "-1", "SAMENSPRAAK_TELEGRAM_BOT": "my bot"]
        #expect(problems(ConfigurationLoader(commandLine: [.telegramAPIURL: "api.telegram.org"], environment: environment)) == [
            "SAMENSPRAAK_PORT: must be a whole number from 1 to 65535 (0: any free port), not \"eighty\"",
            "SAMENSPRAAK_TELEGRAM_BOT: must be the bot's username (5 to 32 letters, digits or _, such as MySchoolBot), not \"my bot\"",
            "--telegram-api-url: must be an http:// or https:// address such as https://ouders.school.nl, not \"api.telegram.org\"",
            "SAMENSPRAAK_TELEGRAM_CHAT_INTERVAL: must be a number of seconds from 0 to 3600 (such as 1 or 0.5), not \"-1\"",
        ])

        // A webhook needs an HTTPS address for Telegram to post to.
        let webhook = try write("telegram_mode: webhook\n", to: "webhook.yaml", in: folder)
        #expect(problems(ConfigurationLoader(environment: ["SAMENSPRAAK_TELEGRAM_TOKEN": "t"], configFile: webhook)) == [
            "\(webhook):1: telegram_mode is webhook, which needs public_url to be an https:// address (Telegram posts only over HTTPS)",
        ])
        #expect(problems(ConfigurationLoader(environment: [:], configFile: folder.path("missing.yaml"))).first?.hasPrefix("\(folder.path("missing.yaml")): cannot be read") == true)
        let broken = try write("port: 8080\n  host: x\n", to: "broken.yaml", in: folder)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: broken)).first?.hasPrefix("\(broken):2: not valid YAML") == true)
    }

    @Test func aMisspelledVariableStopsTheCommandWithTheClosestName() throws {
        let folder = TemporaryDirectory()
        let config = try write("retention_days: 60\nretenton_days: 14\n", to: "samenspraak.yaml", in: folder)
        // Left unreported, the misspelled retention would silently keep the file's (or the default) period.
        let environment = ["SAMENSPRAAK_RETENTON_DAYS": "14", "SAMENSPRAAK_PORT": "9000", "SAMENSPRAAK_COLOUR": "blue", "SAMENSPRAAK_EMPTY": "",
                           "SAMENSPRAAK_STAFF_TOKN": "s", "HOME": "/root"]
        let known = Setting.allCases.map(\.environmentVariable)
            + ["SAMENSPRAAK_CONFIG", "SAMENSPRAAK_STAFF_PASSWORD", "SAMENSPRAAK_TELEGRAM_TOKEN", "SAMENSPRAAK_STAFF_TOKEN", "SAMENSPRAAK_METRICS_TOKEN",
               "SAMENSPRAAK_WHATSAPP_TOKEN", "SAMENSPRAAK_WHATSAPP_APP_SECRET", "SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN", "SAMENSPRAAK_TWILIO_AUTH_TOKEN",
               "SAMENSPRAAK_TRANSLATION_KEY", "SAMENSPRAAK_MATRIX_PASSWORD", "SAMENSPRAAK_MATRIX_ACCESS_TOKEN", "SAMENSPRAAK_MATRIX_PICKLE_KEY"]
        #expect(problems(ConfigurationLoader(environment: environment, configFile: config)) == [
            "\(config):2: unknown key \"retenton_days\" (did you mean \"retention_days\"?)",
            "SAMENSPRAAK_COLOUR: is not a setting; the variables are: \(known.joined(separator: ", "))",
            "SAMENSPRAAK_RETENTON_DAYS: is not a setting (did you mean SAMENSPRAAK_RETENTION_DAYS?)",
            "SAMENSPRAAK_STAFF_TOKN: is not a setting (did you mean SAMENSPRAAK_STAFF_TOKEN?)",
        ])
        // Every variable the program reads is known, the secrets and the staff password included.
        let all = Dictionary(uniqueKeysWithValues: known.map { ($0, "x") })
        #expect(problems(ConfigurationLoader(environment: all)).allSatisfy { !$0.contains("is not a setting") })
    }

    @Test func filesTheSettingsNameMustExistAndAreReportedAtTheLineThatNamedThem() throws {
        let folder = TemporaryDirectory()
        let config = try write("""
            school: school.yaml
            conversations: \(Repository.conversations.path)
            locales: \(folder.path("samenspraak.yaml"))
            """, to: "samenspraak.yaml", in: folder)
        let loaded = try ConfigurationLoader(environment: [:], configFile: config).load()
        #expect(throws: FileIssues.self) { try loaded.checkFilesExist() }
        do { try loaded.checkFilesExist() } catch {
            #expect(error.issues.map(\.description) == [
                "\(config):1: school names \"\(folder.path("school.yaml"))\", which does not exist",
                "\(config):3: locales names \"\(config)\", which is a file, not a folder",
            ])
        }
        // The demo writes the school file itself.
        #expect(throws: FileIssues.self) { try loaded.checkFilesExist(schoolMayBeMissing: true) }

        // A bot without a token would hand out Telegram links that nobody answers.
        let bot = try ConfigurationLoader(commandLine: [.telegramBot: "MySchoolBot"], environment: [:]).load()
        #expect(throws: FileIssues.self) { try bot.checkTelegramToken() }
        do { try bot.checkTelegramToken() } catch {
            #expect(error.description == "--telegram-bot: is set but there is no token: set SAMENSPRAAK_TELEGRAM_TOKEN or telegram_token_file")
        }
    }
}

extension ConfigurationTests {
    /// The example in the repository is a valid file (its token files are examples, so they are left out here).
    @Test func theExampleConfigurationIsValid() throws {
        let example = Repository.root.appendingPathComponent("samenspraak.example.yaml").path
        let loaded = try ConfigurationLoader(environment: ["SAMENSPRAAK_TELEGRAM_TOKEN": "t", "SAMENSPRAAK_STAFF_TOKEN": "s", "SAMENSPRAAK_WHATSAPP_TOKEN": "w",
                                                              "SAMENSPRAAK_WHATSAPP_APP_SECRET": "a", "SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN": "v"], configFile: example).load()
        #expect(loaded.configuration.publicURL == "https://ouders.example-school.nl")
        #expect(loaded.configuration.conversationsDirectory == Repository.conversations.path)
        #expect(loaded.telegramBot == "MySchoolBot" && loaded.configuration.telegram?.mode == .polling)
        // A setting shown commented out ("# retention_days: 120") keeps its default and still counts as shown.
        let keys = try String(contentsOfFile: example, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            let setting = line.hasPrefix("# ") && line.dropFirst(2).prefix { $0 != ":" }.allSatisfy { $0.isLowercase || $0 == "_" } ? line.dropFirst(2) : line
            return setting.first?.isLetter == true && setting.contains(":") ? String(setting.prefix { $0 != ":" }) : nil
        }
        #expect(Set(keys) == Set(Setting.allCases.map(\.key)), "every setting is shown in the example")
    }
}
