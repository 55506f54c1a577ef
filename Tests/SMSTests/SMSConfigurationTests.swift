import App
import DataFiles
import Foundation
import SMS
import Testing
import TestSupport

/// SMS's settings come from the environment, the configuration file and the command line like the others; the auth
/// token only from the environment or a file; every missing or wrong value is named.
@Suite struct SMSConfigurationTests {
    static let complete = ["SAMENSPRAAK_SMS_PROVIDER": "twilio", "SAMENSPRAAK_TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
                           "SAMENSPRAAK_TWILIO_AUTH_TOKEN": "f1e2d3c4-secret", "SAMENSPRAAK_PUBLIC_URL": "https://ouders.example.nl"]

    @Test func aCompleteConfigurationTurnsSMSOn() throws {
        let loaded = try ConfigurationLoader(commandLine: [.twilioFrom: "+31 97 0102 03040"], environment: Self.complete).load()
        let sms = try #require(loaded.configuration.sms)
        #expect(sms.accountSID == "AC0123456789abcdef0123456789abcdef" && sms.sender == .number("+3197010203040"))
        #expect(sms.apiURL == "https://api.twilio.com" && sms.authToken == "f1e2d3c4-secret")
        #expect(!sms.description.contains("f1e2d3c4-secret"))
        let service = try ConfigurationLoader(environment: Self.complete.merging(["SAMENSPRAAK_TWILIO_MESSAGING_SERVICE_SID": "MG9752274e9e519418a7406176694466fa",
                                                                                  "SAMENSPRAAK_TWILIO_API_URL": "http://127.0.0.1:9999/"]) { $1 }).load()
        #expect(service.configuration.sms?.sender == .messagingService("MG9752274e9e519418a7406176694466fa"))
        #expect(service.configuration.sms?.apiURL == "http://127.0.0.1:9999")
    }

    @Test func missingPartsAndWrongValuesAreAllNamed() throws {
        #expect {
            try ConfigurationLoader(environment: ["SAMENSPRAAK_SMS_PROVIDER": "twilio", "SAMENSPRAAK_PUBLIC_URL": "http://ouders.example.nl"]).load()
        } throws: { error in
            let text = "\(error)"
            return text.contains("twilio_account_sid") && text.contains("SAMENSPRAAK_TWILIO_AUTH_TOKEN") && text.contains("twilio_from")
                && text.contains("SAMENSPRAAK_PUBLIC_URL") && text.contains("https://")
        }
        let wrong = Self.complete.merging(["SAMENSPRAAK_TWILIO_ACCOUNT_SID": "AC123", "SAMENSPRAAK_TWILIO_FROM": "0612345678",
                                           "SAMENSPRAAK_TWILIO_MESSAGING_SERVICE_SID": "PN9752274e9e519418a7406176694466fa"]) { $1 }
        #expect {
            try ConfigurationLoader(environment: wrong).load()
        } throws: { error in
            let text = "\(error)"
            return text.contains("SAMENSPRAAK_TWILIO_ACCOUNT_SID: must be the Account SID") && text.contains("SAMENSPRAAK_TWILIO_FROM: must be the school's Twilio number")
                && text.contains("SAMENSPRAAK_TWILIO_MESSAGING_SERVICE_SID: must be a Messaging Service SID") && !text.contains("f1e2d3c4-secret")
        }
        #expect {
            try ConfigurationLoader(environment: Self.complete.merging(["SAMENSPRAAK_SMS_PROVIDER": "bird"]) { $1 }).load()
        } throws: { error in "\(error)".contains("SAMENSPRAAK_SMS_PROVIDER: must be one of none, twilio") }
        #expect {
            try ConfigurationLoader(environment: Self.complete.merging(["SAMENSPRAAK_TWILIO_FROM": "+3197010203040",
                                                                       "SAMENSPRAAK_TWILIO_MESSAGING_SERVICE_SID": "MG9752274e9e519418a7406176694466fa"]) { $1 }).load()
        } throws: { error in "\(error)".contains("give one of them") }
    }

    @Test func twilioValuesWithoutTheProviderAreReported() throws {
        #expect {
            try ConfigurationLoader(environment: ["SAMENSPRAAK_TWILIO_FROM": "+3197010203040", "SAMENSPRAAK_TWILIO_AUTH_TOKEN": "x"]).load()
        } throws: { error in
            let text = "\(error)"
            return text.contains("SAMENSPRAAK_TWILIO_FROM: is set but sms_provider is not twilio") && text.contains("SAMENSPRAAK_TWILIO_AUTH_TOKEN: is set but")
        }
    }

    @Test func theAuthTokenIsNotReadFromTheConfigurationFileButFromItsFile() throws {
        let folder = TemporaryDirectory()
        let config = folder.path("samenspraak.yaml")
        try "twilio_auth_token: abc\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect {
            try ConfigurationLoader(environment: [:], configFile: config).load()
        } throws: { error in "\(error)".contains("twilio_auth_token is a secret") && "\(error)".contains("SAMENSPRAAK_TWILIO_AUTH_TOKEN") }
        try "f1e2d3c4-from-a-file\n".write(toFile: folder.path("twilio-token"), atomically: true, encoding: .utf8)
        try """
            public_url: https://ouders.example.nl
            sms_provider: twilio
            twilio_account_sid: AC0123456789abcdef0123456789abcdef
            twilio_from: "+3197010203040"
            twilio_auth_token_file: twilio-token
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader(environment: [:], configFile: config).load()
        #expect(loaded.configuration.sms?.authToken == "f1e2d3c4-from-a-file")
    }
}
