import ChannelKit
import Foundation
import SamenspraakCore
import Testing
@testable import SMS

/// The pure parts of the SMS channel: segments, Twilio's signature, form bodies, error codes, numbered choices.
@Suite struct SMSUnitTests {
    struct SegmentCase: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let encoding: SMSSegments.Encoding
        let units: Int
        let count: Int
        var testDescription: String { name }
    }

    static let segmentCases: [SegmentCase] = [
        SegmentCase(name: "empty", text: "", encoding: .gsm7, units: 0, count: 1),
        SegmentCase(name: "Dutch with é (in GSM-7)", text: "Uw gesprek is op dinsdag om 15:00 bij juf Anneké.", encoding: .gsm7, units: 49, count: 1),
        SegmentCase(name: "exactly 160 GSM-7 characters", text: String(repeating: "a", count: 160), encoding: .gsm7, units: 160, count: 1),
        SegmentCase(name: "161 characters: two parts of at most 153", text: String(repeating: "a", count: 161), encoding: .gsm7, units: 161, count: 2),
        SegmentCase(name: "306 characters: still two", text: String(repeating: "a", count: 306), encoding: .gsm7, units: 306, count: 2),
        SegmentCase(name: "307 characters: three", text: String(repeating: "a", count: 307), encoding: .gsm7, units: 307, count: 3),
        SegmentCase(name: "€ costs two septets", text: "Ouderbijdrage €25", encoding: .gsm7, units: 18, count: 1),
        SegmentCase(name: "80 € fill one SMS", text: String(repeating: "€", count: 80), encoding: .gsm7, units: 160, count: 1),
        SegmentCase(name: "81 €: 76 fit in a part, an escape is never split", text: String(repeating: "€", count: 81), encoding: .gsm7, units: 162, count: 2),
        SegmentCase(name: "brackets and braces are extension characters", text: "[1] {2} ~ | ^ \\", encoding: .gsm7, units: 23, count: 1),
        SegmentCase(name: "a line break is one septet, CR LF two", text: "Ja\r\nNee\nMisschien", encoding: .gsm7, units: 17, count: 1),
        SegmentCase(name: "Dutch ë is not GSM-7: the whole text is UCS-2", text: "Ideeën voor het gesprek", encoding: .ucs2, units: 23, count: 1),
        SegmentCase(name: "Turkish ş likewise", text: "Görüşme salı günü", encoding: .ucs2, units: 17, count: 1),
        SegmentCase(name: "Arabic", text: "موعدك يوم الثلاثاء", encoding: .ucs2, units: 18, count: 1),
        SegmentCase(name: "70 Arabic letters fill one SMS", text: String(repeating: "م", count: 70), encoding: .ucs2, units: 70, count: 1),
        SegmentCase(name: "71 Arabic letters: two parts of at most 67", text: String(repeating: "م", count: 71), encoding: .ucs2, units: 71, count: 2),
        SegmentCase(name: "an emoji is two UTF-16 units", text: "Tot dan! 👋", encoding: .ucs2, units: 11, count: 1),
        SegmentCase(name: "35 emoji fill one SMS", text: String(repeating: "👍", count: 35), encoding: .ucs2, units: 70, count: 1),
        SegmentCase(name: "67 emoji: 33 per part, a pair is never split", text: String(repeating: "👍", count: 67), encoding: .ucs2, units: 134, count: 3),
        SegmentCase(name: "a skin-tone emoji is four units", text: "👋🏽", encoding: .ucs2, units: 4, count: 1),
        SegmentCase(name: "one emoji makes 100 Latin letters cost two SMS instead of one",
                    text: String(repeating: "a", count: 100) + "🙂", encoding: .ucs2, units: 102, count: 2),
    ]

    @Test(arguments: segmentCases) func segments(_ testCase: SegmentCase) {
        let segments = SMSSegments(testCase.text)
        #expect(segments.encoding == testCase.encoding)
        #expect(segments.units == testCase.units)
        #expect(segments.count == testCase.count)
    }

    @Test func twiliosPublishedSignatureVectorMatches() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        let parameters = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")]
            .map { (name: $0.0, value: $0.1) }
        #expect(TwilioSignature.compute(url: url, parameters: parameters, authToken: "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: parameters.reversed(), authToken: "12345"), "order does not matter")
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: parameters, authToken: "54321"))
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url + "&baz=3", parameters: parameters, authToken: "12345"))
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: parameters.dropLast() + [(name: "To", value: "+18005551213")], authToken: "12345"))
        #expect(!TwilioSignature.isValid(nil, url: url, parameters: parameters, authToken: "12345"))
        // A repeated name: its values sorted, a repeated pair once (the vector of Twilio's libraries).
        let repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")].map { (name: $0.0, value: $0.1) }
        #expect(TwilioSignature.compute(url: url, parameters: repeated, authToken: "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU=")
        #expect(!TwilioSignature.isValid("", url: url, parameters: parameters, authToken: "12345"))
    }

    @Test func formBodiesAreDecodedAndEncoded() throws {
        let fields = try #require(FormBody.decode(Data("Body=Hallo+juf%2C+%F0%9F%91%8B&From=%2B31612345678&Empty=".utf8)))
        #expect(fields.map(\.name) == ["Body", "From", "Empty"])
        #expect(fields.map(\.value) == ["Hallo juf, 👋", "+31612345678", ""])
        #expect(FormBody.decode(Data()).map(\.isEmpty) == true)
        #expect(FormBody.decode(Data("Body=%zz".utf8)) == nil, "a broken escape")
        #expect(FormBody.decode(Data("Body=50%".utf8)) == nil, "a lone %")
        #expect(FormBody.decode(Data("Body".utf8)) == nil, "no =")
        #expect(FormBody.decode(Data("Body=%C3%28".utf8)) == nil, "not UTF-8")
        #expect(FormBody.decode(Data([0x42, 0x3D, 0xFF])) == nil, "raw bytes that are not UTF-8")
        let encoded = FormBody.encode([("To", "+31 6"), ("Body", "1. Ja & nee = ok? مرحبا")])
        #expect(encoded.hasPrefix("To=%2B31%206&Body="))
        #expect(FormBody.decode(Data(encoded.utf8))?.map(\.value) == ["+31 6", "1. Ja & nee = ok? مرحبا"])
    }

    @Test func twilioErrorsAreSortedByWhatTheSenderDoes() {
        func failure(_ status: Int, _ code: Int?, retryAfter: Duration? = nil) -> DeliveryFailure { TwilioError(status: status, code: code, retryAfter: retryAfter).delivery }
        #expect(failure(429, 20429, retryAfter: .seconds(2)) == .rateLimited(retryAfter: .seconds(2), scope: .channel,
                                                                                reason: "Twilio error 20429: too many requests at once"))
        #expect(failure(429, nil).failure == .rateLimited)
        #expect(failure(400, 14107).failure == .rateLimited)
        #expect(failure(400, 21610) == .blocked("Twilio error 21610: the person replied STOP; nothing is sent until they reply START"))
        #expect(failure(400, 21211).failure == .rejected)
        #expect(failure(400, 21614).failure == .rejected)
        #expect(failure(400, 21408).failure == .rejected)
        #expect(failure(401, 20003).failure == .unavailable, "a wrong token is fixed by the school; the messages wait")
        #expect(failure(500, 20500).failure == .unavailable)
        #expect(failure(503, nil).failure == .unavailable)
        #expect(failure(0, nil).failure == .unavailable)
        // Twilio's own message names the number; ours never does.
        #expect(!TwilioError(status: 400, code: 21211).description.contains("+"))
    }

    @Test func choicesAreNumberedAndCommandChoicesAnsweredByNumber() {
        let question = OutboundMessage(text: "Op welke dag?", choices: [Choice(id: "o:2026-11-30", label: "maandag 30 november"),
                                                                      Choice(id: "o:2026-12-01", label: "dinsdag 1 december")], language: "nl")
        #expect(SMSRendering.bodies(for: question) == ["Op welke dag?\n\n1. maandag 30 november\n2. dinsdag 1 december"])
        #expect(SMSRendering.commandChoice(typed: "1", after: question) == nil, "an ordinary question's numbers are the engine's")
        let reminder = OutboundMessage(text: "Herinnering: morgen om 15:00.", choices: [Choice(id: "g:move", label: "Verzetten"),
                                                                                      Choice(id: "g:cancel", label: "Afzeggen")], language: "nl")
        #expect(SMSRendering.commandChoice(typed: " 2 ", after: reminder) == "g:cancel")
        #expect(SMSRendering.commandChoice(typed: "٢", after: reminder) == "g:cancel", "Arabic digits")
        #expect(SMSRendering.commandChoice(typed: "3", after: reminder) == nil)
        let long = OutboundMessage(text: String(repeating: "Een lange zin over het gesprek. ", count: 80), choices: [Choice(id: "g:menu", label: "Menu")], language: "nl")
        let parts = SMSRendering.bodies(for: long)
        #expect(parts.count == 2 && parts.allSatisfy { $0.count <= 1600 } && parts.last?.hasSuffix("1. Menu") == true)
    }

    @Test func keywordsAreWholeMessagesInAnyCase() {
        #expect(SMSKeyword(body: " stop ", optOutType: nil) == .optOut)
        for word in ["STOPALL", "Unsubscribe", "cancel", "END", "quit", "REVOKE", "OptOut"] { #expect(SMSKeyword(body: word, optOutType: nil) == .optOut) }
        for word in ["start", "YES", "unstop"] { #expect(SMSKeyword(body: word, optOutType: nil) == .optIn) }
        for word in ["help", "INFO"] { #expect(SMSKeyword(body: word, optOutType: nil) == .help) }
        #expect(SMSKeyword(body: "stop met de berichten", optOutType: nil) == nil)
        #expect(SMSKeyword(body: "STOPPEN", optOutType: "STOP") == .optOut, "a keyword the school added to Advanced Opt-Out")
        #expect(SMSKeyword(body: "Hallo", optOutType: nil) == nil)
    }
}
