import App
import DataFiles
import Foundation
import Testing
import TestSupport
import WhatsApp

/// WhatsApp's settings come from the environment, the configuration file and the command line like the others; its
/// three secrets only from the environment or files; every missing or wrong value is named.
@Suite struct WhatsAppConfigurationTests {
    static let secrets = ["SAMENSPRAAK_WHATSAPP_TOKEN": "EAAG-token", "SAMENSPRAAK_WHATSAPP_APP_SECRET": "app-secret",
                          "SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN": "verify-me", "SAMENSPRAAK_PUBLIC_URL": "https://ouders.example.nl"]

    @Test func aCompleteConfigurationTurnsWhatsAppOn() throws {
        let environment = Self.secrets.merging(["SAMENSPRAAK_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
                                                "SAMENSPRAAK_WHATSAPP_TEMPLATES": "nl=samenspraak_bericht:nl, ar=samenspraak_message_ar:ar"]) { $1 }
        let loaded = try ConfigurationLoader(commandLine: [.whatsappNumber: "+31 6 1234 5678"], environment: environment).load()
        let whatsapp = try #require(loaded.configuration.whatsapp)
        #expect(whatsapp.phoneNumberID == "106540352242922" && whatsapp.number == "31612345678" && loaded.whatsappNumber == "31612345678")
        #expect(whatsapp.apiURL == "https://graph.facebook.com" && whatsapp.graphVersion == "v23.0")
        #expect(whatsapp.templates["ar"] == WhatsAppTemplate(name: "samenspraak_message_ar", languageCode: "ar"))
        #expect(!whatsapp.description.contains("EAAG-token") && !whatsapp.description.contains("app-secret") && !whatsapp.description.contains("verify-me"))
        #expect(WhatsAppSettings.link(number: "31612345678", inviteCode: "K7QM-3XPA-9RTD") == "https://wa.me/31612345678?text=K7QM-3XPA-9RTD")
    }

    @Test func missingPartsAndWrongValuesAreAllNamed() throws {
        let environment = ["SAMENSPRAAK_WHATSAPP_TOKEN": "EAAG-token", "SAMENSPRAAK_WHATSAPP_TEMPLATES": "nl=Bericht", "SAMENSPRAAK_WHATSAPP_GRAPH_VERSION": "23"]
        #expect {
            try ConfigurationLoader(environment: environment).load()
        } throws: { error in
            let text = "\(error)"
            return text.contains("SAMENSPRAAK_WHATSAPP_APP_SECRET") && text.contains("SAMENSPRAAK_WHATSAPP_VERIFY_TOKEN") && text.contains("whatsapp_phone_number_id")
                && text.contains("https://") && text.contains("SAMENSPRAAK_WHATSAPP_TEMPLATES") && text.contains("v23.0") && !text.contains("EAAG-token")
        }
    }

    @Test func secretsAreNotReadFromTheConfigurationFile() throws {
        let folder = TemporaryDirectory()
        let config = folder.path("samenspraak.yaml")
        try "whatsapp_app_secret: abc\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect {
            try ConfigurationLoader(environment: [:], configFile: config).load()
        } throws: { error in "\(error)".contains("whatsapp_app_secret is a secret") && "\(error)".contains("SAMENSPRAAK_WHATSAPP_APP_SECRET") }
    }

    @Test func aNumberWithoutATokenIsRefusedByTheDaemon() throws {
        let loaded = try ConfigurationLoader(environment: ["SAMENSPRAAK_WHATSAPP_NUMBER": "31612345678"]).load()
        #expect(loaded.configuration.whatsapp == nil && loaded.whatsappNumber == "31612345678")
        #expect(throws: FileIssues.self) { try loaded.checkWhatsAppToken() }
    }
}
