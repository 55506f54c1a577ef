import App
import DataFiles
import Foundation
import Testing
import TestSupport
import Translation

/// The translation settings come from the environment, the configuration file and the command line like the others;
/// the key only from the environment or a file; every missing or wrong value is named with where it came from.
@Suite(.timeLimit(.minutes(1))) struct TranslationConfigurationTests {
    @Test func withoutAProviderNothingIsTranslated() throws {
        #expect(try ConfigurationLoader(environment: [:]).load().configuration.translation == nil)
        #expect(try ConfigurationLoader(environment: ["SAMENSPRAAK_TRANSLATION_PROVIDER": "none", "SAMENSPRAAK_TRANSLATION_KEY": "k"]).load()
            .configuration.translation == nil)
    }

    @Test func deepLTakesItsKeyFromTheEnvironmentOrAFile() throws {
        let folder = TemporaryDirectory()
        try "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:fx\n".write(toFile: folder.path("deepl-key"), atomically: true, encoding: .utf8)
        let config = folder.path("samenspraak.yaml")
        try """
            translation_provider: deepl
            translation_key_file: deepl-key
            translation_timeout_ms: 1500
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let fromFile = try #require(try ConfigurationLoader(environment: [:], configFile: config).load().configuration.translation)
        #expect(fromFile.provider == .deepL(key: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:fx", url: nil) && fromFile.timeout == .milliseconds(1500))
        #expect(fromFile.description == "DeepL at https://api-free.deepl.com, waits 1500 ms (key hidden)")

        let environment = ["SAMENSPRAAK_TRANSLATION_KEY": "pro-key", "SAMENSPRAAK_TRANSLATION_URL": "http://127.0.0.1:9999/"]
        let fromEnvironment = try #require(try ConfigurationLoader(environment: environment, configFile: config).load().configuration.translation)
        #expect(fromEnvironment.provider == .deepL(key: "pro-key", url: "http://127.0.0.1:9999"), "the environment wins; the address overrides DeepL's")
        #expect(!fromEnvironment.description.contains("pro-key"))
    }

    @Test func libreTranslateNeedsItsAddressAndMayHaveAKey() throws {
        let loaded = try ConfigurationLoader(commandLine: [.translationProvider: "libretranslate", .translationURL: "https://translate.example-school.nl"],
                                             environment: [:]).load()
        let translation = try #require(loaded.configuration.translation)
        #expect(translation.provider == .libreTranslate(url: "https://translate.example-school.nl", key: nil))
        #expect(translation.timeout == .milliseconds(2000), "the default")
        let withKey = try ConfigurationLoader(commandLine: [.translationProvider: "libretranslate", .translationURL: "https://translate.example-school.nl"],
                                              environment: ["SAMENSPRAAK_TRANSLATION_KEY": "lt-key"]).load().configuration.translation
        #expect(withKey?.provider == .libreTranslate(url: "https://translate.example-school.nl", key: "lt-key"))
        #expect(withKey?.description == "LibreTranslate at https://translate.example-school.nl, waits 2000 ms (key hidden)")
    }

    @Test func everyWrongValueIsNamedWithItsFileLineOrVariable() throws {
        let folder = TemporaryDirectory()
        let config = folder.path("samenspraak.yaml")
        try """
            translation_provider: google
            translation_url: translate.example-school.nl
            translation_timeout_ms: 2s
            translation_key_file: nowhere/key
            translation_key: abc
            """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: config)) == [
            "\(config):5: translation_key is a secret and is not read from the configuration file: set SAMENSPRAAK_TRANSLATION_KEY in the environment, "
                + "or name a file that holds it with translation_key_file",
            "\(config):1: translation_provider must be one of none, libretranslate, deepl, not \"google\"",
            "\(config):2: translation_url must be an http:// or https:// address such as https://ouders.school.nl, not \"translate.example-school.nl\"",
            "\(config):3: translation_timeout_ms must be a whole number of milliseconds from 100 to 10000 (such as 2000), not \"2s\"",
            "\(config):4: translation_key_file names \"\(folder.path("nowhere/key"))\", which cannot be read",
        ])

        #expect(problems(ConfigurationLoader(commandLine: [.translationTimeoutMS: "60000"], environment: ["SAMENSPRAAK_TRANSLATION_PROVIDER": "DeepL"])) == [
            "SAMENSPRAAK_TRANSLATION_PROVIDER: must be one of none, libretranslate, deepl, not \"DeepL\"",
            "--translation-timeout-ms: must be a whole number of milliseconds from 100 to 10000 (such as 2000), not \"60000\"",
        ])
        // A provider without what it needs.
        #expect(problems(ConfigurationLoader(environment: ["SAMENSPRAAK_TRANSLATION_PROVIDER": "libretranslate"])) == [
            "SAMENSPRAAK_TRANSLATION_PROVIDER: is libretranslate, which needs translation_url: the LibreTranslate server's address, such as https://translate.school.nl",
        ])
        try "translation_provider: deepl\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(problems(ConfigurationLoader(environment: [:], configFile: config)) == [
            "\(config):1: translation_provider is deepl, which needs DeepL's API key: set SAMENSPRAAK_TRANSLATION_KEY or translation_key_file",
        ])
        try "".write(toFile: folder.path("empty-key"), atomically: true, encoding: .utf8)
        #expect(problems(ConfigurationLoader(commandLine: [.translationProvider: "deepl", .translationKeyFile: folder.path("empty-key")], environment: [:])) == [
            "--translation-key-file: names \"\(folder.path("empty-key"))\", which is empty",
            "--translation-provider: is deepl, which needs DeepL's API key: set SAMENSPRAAK_TRANSLATION_KEY or translation_key_file",
        ])
        #expect(problems(ConfigurationLoader(environment: ["SAMENSPRAAK_TRANSLATON_KEY": "k"])) == [
            "SAMENSPRAAK_TRANSLATON_KEY: is not a setting (did you mean SAMENSPRAAK_TRANSLATION_KEY?)",
        ])
    }

    @Test func theRuntimeTranslatesThroughTheConfiguredProvider() async throws {
        #expect(try TestSchool(households: 2).runtime.translator == nil)
        let fake = FakeDeepL()
        let translation = try await fake.serving { url in
            // The longest wait allowed: the whole suite runs at once on few cores.
            let settings = try #require(try ConfigurationLoader(environment: ["SAMENSPRAAK_TRANSLATION_PROVIDER": "deepl", "SAMENSPRAAK_TRANSLATION_URL": url,
                                                                              "SAMENSPRAAK_TRANSLATION_KEY": fake.key,
                                                                              "SAMENSPRAAK_TRANSLATION_TIMEOUT_MS": "10000"]).load().configuration.translation)
            let translator = try #require(try TestSchool(households: 2, translation: settings).runtime.translator)
            #expect(translator.providerName == "deepl" && translator.deadline == .seconds(10))
            return await translator.translate(Phrases.gymDutch, from: "nl", to: "ar")
        }
        #expect(translation.translated == Phrases.gymArabic)
        #expect(fake.requests.first?.authorization == "DeepL-Auth-Key \(fake.key)")
    }
}
