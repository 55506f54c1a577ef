import App
import Foundation
import Matrix
import Testing
import TestSupport

/// Matrix's settings come from the environment, the configuration file and the command line like the others; the
/// password or access token only from the environment or a file; every missing or wrong value is named.
@Suite struct MatrixConfigurationTests {
    static let complete = ["SAMENSPRAAK_MATRIX_HOMESERVER": "https://matrix.school.example/", "SAMENSPRAAK_MATRIX_USER": "@samenspraak:school.example",
                           "SAMENSPRAAK_MATRIX_PASSWORD": "geheim-wachtwoord"]

    @Test func aCompleteConfigurationTurnsMatrixOn() throws {
        let loaded = try ConfigurationLoader(commandLine: [.matrixAllowedServers: "school.example, Parents.Example:8448"], environment: Self.complete).load()
        let matrix = try #require(loaded.configuration.matrix)
        #expect(matrix.homeserver == "https://matrix.school.example" && matrix.userID == "@samenspraak:school.example")
        #expect(matrix.allowedServers == ["school.example", "parents.example:8448"])
        guard case .password("geheim-wachtwoord") = matrix.credentials else { Issue.record("the password"); return }
        #expect(!matrix.description.contains("geheim"))

        let folder = TemporaryDirectory()
        try "syt_token_value\n".write(toFile: folder.path("token"), atomically: true, encoding: .utf8)
        var environment = Self.complete
        environment["SAMENSPRAAK_MATRIX_PASSWORD"] = nil
        environment["SAMENSPRAAK_MATRIX_ACCESS_TOKEN_FILE"] = folder.path("token")
        let withToken = try #require(try ConfigurationLoader(environment: environment).load().configuration.matrix)
        guard case .accessToken("syt_token_value") = withToken.credentials else { Issue.record("the token from its file"); return }
        #expect(withToken.allowedServers == nil)
        #expect(try ConfigurationLoader(environment: [:]).load().configuration.matrix == nil)
    }

    @Test func thePickleKeyTurnsEncryptionOnFromTheEnvironmentOrAFile() throws {
        #expect(try #require(try ConfigurationLoader(environment: Self.complete).load().configuration.matrix).pickleKey == nil)
        var environment = Self.complete
        environment["SAMENSPRAAK_MATRIX_PICKLE_KEY"] = "sleutel-van-school"
        let matrix = try #require(try ConfigurationLoader(environment: environment).load().configuration.matrix)
        #expect(matrix.pickleKey == "sleutel-van-school")
        #expect(!matrix.description.contains("sleutel") && matrix.description.contains("end-to-end encryption"))

        let folder = TemporaryDirectory()
        try "uit-een-bestand\n".write(toFile: folder.path("pickle"), atomically: true, encoding: .utf8)
        environment["SAMENSPRAAK_MATRIX_PICKLE_KEY"] = nil
        environment["SAMENSPRAAK_MATRIX_PICKLE_KEY_FILE"] = folder.path("pickle")
        #expect(try #require(try ConfigurationLoader(environment: environment).load().configuration.matrix).pickleKey == "uit-een-bestand")
        // A pickle key alone is a Matrix configuration half given.
        let alone = ConfigurationLoader(environment: ["SAMENSPRAAK_MATRIX_PICKLE_KEY": "sleutel"])
        #expect(throws: (any Error).self) { try alone.load() }
    }

    @Test func missingPartsAndWrongValuesAreAllNamed() throws {
        let half = problems(ConfigurationLoader(environment: ["SAMENSPRAAK_MATRIX_USER": "@samenspraak:school.example"]))
        #expect(half.count == 1)
        #expect(half.first?.hasPrefix("SAMENSPRAAK_MATRIX_USER: is set, so Matrix also needs matrix_homeserver") == true)
        #expect(half.first?.contains("SAMENSPRAAK_MATRIX_PASSWORD or matrix_password_file") == true)

        let wrong = problems(ConfigurationLoader(environment: Self.complete.merging([
            "SAMENSPRAAK_MATRIX_HOMESERVER": "http://matrix.school.example", "SAMENSPRAAK_MATRIX_USER": "samenspraak@school.example",
            "SAMENSPRAAK_MATRIX_ALLOWED_SERVERS": "school.example, -bad-/", "SAMENSPRAAK_MATRIX_ACCESS_TOKEN": "syt_x",
        ]) { $1 }))
        #expect(wrong.contains { $0.hasPrefix("SAMENSPRAAK_MATRIX_HOMESERVER: must be an https:// address") })
        #expect(wrong.contains { $0.hasPrefix("SAMENSPRAAK_MATRIX_USER: must be the bot's Matrix user id, such as @samenspraak:school.nl") })
        #expect(wrong.contains { $0.hasPrefix("SAMENSPRAAK_MATRIX_ALLOWED_SERVERS: must name homeservers") })
        #expect(wrong.contains { $0.contains("give one of them") })
        #expect(!wrong.joined().contains("geheim") && !wrong.joined().contains("syt_x"))

        let misspelt = problems(ConfigurationLoader(environment: Self.complete.merging(["SAMENSPRAAK_MATRIX_HOMESERVR": "https://x.example"]) { $1 }))
        #expect(misspelt == ["SAMENSPRAAK_MATRIX_HOMESERVR: is not a setting (did you mean SAMENSPRAAK_MATRIX_HOMESERVER?)"])
    }

    @Test func theSecretIsRefusedInTheConfigurationFile() throws {
        let folder = TemporaryDirectory()
        try "matrix_homeserver: https://matrix.school.example\nmatrix_password: geheim\n".write(toFile: folder.path("samenspraak.yaml"), atomically: true, encoding: .utf8)
        let found = problems(ConfigurationLoader(environment: [:], configFile: folder.path("samenspraak.yaml")))
        #expect(found.contains { $0.contains(":2:") && $0.contains("matrix_password") })
    }
}
