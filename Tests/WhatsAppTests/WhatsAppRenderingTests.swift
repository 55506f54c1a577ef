import ChannelKit
import Foundation
import SamenspraakCore
import Testing
@testable import WhatsApp

/// Choices within WhatsApp's limits in every shipped language, and the small decisions of the channel.
@Suite struct WhatsAppRenderingTests {
    static let labels: [(language: String, labels: [String])] = [
        ("nl", ["Dinsdag 1 december 15:00", "Dinsdag 1 december 15:30", "Woensdag 2 december", "Gesprek verzetten of afzeggen"]),
        ("en", ["Tuesday 1 December 15:00", "Tuesday 1 December 15:30", "Prepare the conversation", "Cancel"]),
        ("ar", ["الثلاثاء 1 ديسمبر 15:00", "الثلاثاء 1 ديسمبر 15:30", "تحضير اللقاء مع المعلّمة", "إلغاء"]),
        ("tr", ["1 Aralık Salı 15:00", "1 Aralık Salı 15:30", "Görüşmeyi ertele veya iptal et", "İptal"]),
        ("pl", ["Wtorek, 1 grudnia 15:00", "Wtorek, 1 grudnia 15:30", "Przygotować się do rozmowy", "Odwołać"]),
        ("uk", ["Вівторок, 1 грудня 15:00", "Вівторок, 1 грудня 15:30", "Підготуватися до зустрічі", "Скасувати"]),
    ]

    @Test(arguments: [3, 4, 10, 11]) func choicesBecomeButtonsAListOrNumberedText(count: Int) {
        let choices = (1...count).map { Choice(id: "o:\($0)", label: "Keuze \($0)") }
        let messages = WhatsAppRendering.messages(for: OutboundMessage(text: "Kies maar", choices: choices, language: "nl"), to: "31612345678", listLabel: "Kiezen")
        #expect(messages.count == 1)
        let message = messages[0]
        switch count {
        case ...3: #expect(message.interactive?.type == "button" && message.interactive?.action.buttons?.count == count)
        case ...10: #expect(message.interactive?.type == "list" && message.interactive?.action.sections?.first?.rows.count == count
                            && message.interactive?.action.button == "Kiezen")
        default: #expect(message.type == "text" && message.text?.body.hasSuffix("\n11. Keuze 11") == true)
        }
    }

    @Test(arguments: labels) func labelsAreShortenedOnWordsUniqueAndWithinLimits(_ language: String, _ labels: [String]) {
        for maximum in [20, 24] {
            let short = TextLimits.uniqueLabels(labels, maximum: maximum)
            #expect(Set(short.map { $0.lowercased() }).count == labels.count, "\(language): unique: \(short)")
            for (label, shortened) in zip(labels, short) {
                #expect(shortened.utf16.count <= maximum, "\(language): \(shortened)")
                if label.utf16.count <= maximum { #expect(shortened == label) } else {
                    #expect(shortened.contains("…"), "\(language): \(shortened)")
                    // Whole words: the kept start ends where the label has a space (or the label's first word was too long).
                    let start = shortened.prefix { $0 != "…" }
                    #expect(label.hasPrefix(start) && (label.dropFirst(start.count).first?.isWhitespace ?? true || !start.contains(" ")), "\(language): \(shortened)")
                }
            }
        }
        // The two times differ only at the end: that end is kept.
        let times = TextLimits.uniqueLabels(Array(labels.prefix(2)), maximum: 20)
        #expect(times[0].hasSuffix("15:00") && times[1].hasSuffix("15:30"), "\(language): \(times)")
    }

    @Test func shorteningNeverSplitsACharacter() {
        let label = "👨‍👩‍👧‍👦 Gezin " + String(repeating: "é", count: 30)
        let short = TextLimits.shorten(label, to: 20)
        #expect(short.utf16.count <= 20 && short.hasSuffix("…"))
        #expect(short.hasPrefix("👨‍👩‍👧‍👦"))
        #expect(TextLimits.shorten("Onwaarschijnlijklangwoordzonderspaties", to: 20) == "Onwaarschijnlijklan…")
    }

    @Test func aShortenedListRowShowsTheWholeLabelAsItsDescription() throws {
        let choices = (1...5).map { Choice(id: "o:\($0)", label: "Woensdag \($0) december om 15:\($0)0 bij juf Anouk") }
        let message = WhatsAppRendering.messages(for: OutboundMessage(text: "Hoe laat?", choices: choices, language: "nl"), to: "1", listLabel: "Kiezen")[0]
        let rows = try #require(message.interactive?.action.sections?.first?.rows)
        #expect(rows.allSatisfy { $0.title.utf16.count <= 24 && $0.description?.hasPrefix("Woensdag") == true })
    }

    @Test func aLongTextGoesInPartsWithTheButtonsOnTheLast() {
        let text = String(repeating: "Een zin over het gesprek. ", count: 200)
        let messages = WhatsAppRendering.messages(for: OutboundMessage(text: text, choices: [Choice(id: "o:a", label: "Ja")], language: "nl"),
                                                  to: "1", listLabel: "Kiezen")
        #expect(messages.count >= 2 && messages.dropLast().allSatisfy { $0.type == "text" && ($0.text?.body.utf16.count ?? 0) <= 4096 })
        #expect(messages.last?.interactive.map { $0.body.text.utf16.count <= 1024 } == true)
    }

    @Test func longChoiceIDsTravelAsTheirNumber() {
        let long = Choice(id: "g:agreement_matches:" + String(repeating: "9", count: 300), label: "Klopt")
        #expect(WhatsAppRendering.replyID(for: long, at: 1, maximum: 256) == "#2")
        #expect(WhatsAppRendering.content(forReplyID: "#2") == .text("2"))
        #expect(WhatsAppRendering.content(forReplyID: "o:nl") == .choice("o:nl"))
    }

    @Test func templateParametersAreOneLine() {
        #expect(WhatsAppRendering.templateText("Beste ouder,\n\nmorgen\tom 15:25      het gesprek.\n") == "Beste ouder, · morgen · om 15:25 het gesprek.")
    }

    @Test func theInviteCodeIsFoundInThePrefilledTextAndNowhereElse() {
        #expect(PhoneChannel.inviteCode(in: "K7QM-3XPA-9RTD") == "K7QM3XPA9RTD")
        #expect(PhoneChannel.inviteCode(in: " k7qm3xpa9rtd ") == "K7QM3XPA9RTD")
        #expect(PhoneChannel.inviteCode(in: "Hallo! Mijn code is K7QM-3XPA-9RTD, groet Sanne") == "K7QM3XPA9RTD")
        #expect(PhoneChannel.inviteCode(in: "ik wil het startgesprek verzetten") == nil)
        #expect(PhoneChannel.inviteCode(in: "K7QM-3XPA-9RT0") == nil)
    }

    @Test func aNumbersCountrySuggestsALanguage() {
        #expect(PhoneChannel.languageHint(for: "31612345678") == "nl")
        #expect(PhoneChannel.languageHint(for: "905321234567") == "tr")
        #expect(PhoneChannel.languageHint(for: "380501234567") == "uk")
        #expect(PhoneChannel.languageHint(for: "212612345678") == "ar")
        #expect(PhoneChannel.languageHint(for: "4917612345678") == nil)
    }

    @Test func theSignatureIsTheHMACOfTheRawBody() {
        let body = Data(#"{"object":"whatsapp_business_account","entry":[]}"#.utf8)
        let signature = WebhookSecurity.sha256Signature(body: body, secret: "secret")
        #expect(WebhookSecurity.validSHA256Signature(signature, body: body, secret: "secret"))
        #expect(WebhookSecurity.validSHA256Signature(signature.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body, secret: "secret"))
        #expect(!WebhookSecurity.validSHA256Signature(signature, body: body + Data(" ".utf8), secret: "secret"))
        #expect(!WebhookSecurity.validSHA256Signature(signature, body: body, secret: "other"))
        #expect(!WebhookSecurity.validSHA256Signature(String(signature.dropLast(2)), body: body, secret: "secret"))
        #expect(!WebhookSecurity.validSHA256Signature(nil, body: body, secret: "secret"))
    }
}
