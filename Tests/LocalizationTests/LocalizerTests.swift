import DataFiles
import Foundation
import Testing
@testable import Localization
import SamenspraakCore
import TestSupport

@Suite struct LocalizerTests {
    func catalog(_ language: String, _ yaml: String) throws -> LocaleCatalog {
        try LocaleCatalog.load(path: "\(language).yaml", text: "language: \(language)\nname: \(language)\nmessages:\n" + yaml)
    }

    @Test func pluralRulesFollowCLDR() {
        #expect([0, 1, 2, 3, 11, 100].map { PluralRules.category($0, language: "ar") } == [.zero, .one, .two, .few, .many, .other])
        #expect([1, 2, 5, 12, 22].map { PluralRules.category($0, language: "pl") } == [.one, .few, .many, .many, .few])
        #expect([1, 21, 11, 3, 5].map { PluralRules.category($0, language: "uk") } == [.one, .one, .many, .few, .many])
        #expect([1, 0, 2].map { PluralRules.category($0, language: "nl") } == [.one, .other, .other])
        for language in ["es", "so"] { #expect([1, 0, 2].map { PluralRules.category($0, language: language) } == [.one, .other, .other]) }
        for language in ["fa", "ti"] { #expect([1, 0, 2].map { PluralRules.category($0, language: language) } == [.one, .one, .other]) }
        #expect(["es", "fa", "so", "ti"].allSatisfy { PluralRules.requiredCategories(language: $0) == [.one, .other] })
    }

    @Test func missingTranslationsFallBackToDutchKeyByKey() throws {
        let nl = try catalog("nl", "  a: \"Hallo {name}\"\n  b: \"Alleen Nederlands\"\n")
        let en = try catalog("en", "  a: \"Hello {name}\"\n")
        let localizer = Localizer(catalogs: [nl, en], timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        #expect(localizer.text("a", ["name": .text("Sara")], language: "en") == "Hello Sara")
        #expect(localizer.text("b", language: "en") == "Alleen Nederlands")
        #expect(localizer.text("a", ["name": .text("Sara")], language: "xx") == "Hallo Sara")
        #expect(localizer.supported("en-GB") == "en")
    }

    @Test func pluralMessagesPickTheRightForm() throws {
        let nl = try catalog("nl", "  n:\n    one: \"{count} tijd\"\n    other: \"{count} tijden\"\n")
        let localizer = Localizer(catalogs: [nl], timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        #expect(localizer.text("n", ["count": .number(1)], language: "nl") == "1 tijd")
        #expect(localizer.text("n", ["count": .number(3)], language: "nl") == "3 tijden")
    }

    @Test func datesAreFormattedPerLanguage() throws {
        let nl = try catalog("nl", "  d: \"{day} om {time}\"\n")
        let localizer = Localizer(catalogs: [nl], timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        let date = Date(timeIntervalSince1970: 1_796_048_400)  // Monday 30 November 2026, 15:20 Amsterdam
        #expect(localizer.text("d", ["day": .day(date), "time": .time(date)], language: "nl") == "maandag 30 november om 15:20")
    }

    @Test func datesAreOnTheSchoolsGregorianCalendarInEveryLanguage() throws {
        let nl = try catalog("nl", "  d: \"{day} om {time}, begin {month}\"\n")
        let fa = try catalog("fa", "  d: \"{day} ساعت {time}، اوایل {month}\"\n")
        let localizer = Localizer(catalogs: [nl, fa], timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        let date = Date(timeIntervalSince1970: 1_796_048_400)  // Monday 30 November 2026, 15:20 Amsterdam
        // Persian's own calendar would say "دوشنبه ۹ آذر" (9 Azar 1405); Persian digits and month names stay.
        #expect(localizer.text("d", ["day": .day(date), "time": .time(date), "month": .month(6)], language: "fa")
                == "دوشنبه ۳۰ نوامبر ساعت ۱۵:۲۰، اوایل ژوئن")
    }

    @Test func commandWordsMatchWhateverTheCaseAndKeyboard() throws {
        let tr = try LocaleCatalog.load(path: "tr.yaml", text: "language: tr\nname: Türkçe\nkeywords:\n  cancel: [iptal]\n  help: [yardım, yardim]\nmessages:\n  a: b\n")
        let nl = try LocaleCatalog.load(path: "nl.yaml", text: "language: nl\nname: Nederlands\nkeywords:\n  cancel: [afzeggen]\nmessages:\n  a: b\n")
        let matcher = KeywordMatcher(catalogs: [nl, tr])
        #expect(matcher.command(for: "İPTAL") == "cancel", "a Turkish capital İ, lower-cased outside a Turkish locale")
        #expect(matcher.command(for: "IPTAL") == "cancel")
        #expect(matcher.command(for: "Yardım!") == "help")
        #expect(matcher.command(for: "YARDIM") == "help", "capital I without a dot lower-cases to i: the ASCII spelling catches it")
        #expect(matcher.command(for: " Afzeggen. ") == "cancel")
        #expect(matcher.command(for: "afzeggen graag") == nil, "only a command word on its own")
    }

    @Test func brokenTemplatesAndYAMLAreReportedWithTheirLine() {
        #expect(throws: FileIssues.self) { try catalog("nl", "  a: \"Hallo {naam\"\n") }
        do {
            _ = try LocaleCatalog.load(path: "nl.yaml", text: "language: nl\nmessages:\n  a: [unclosed\n")
            Issue.record("expected an error")
        } catch let issue as FileIssue {
            #expect(issue.file == "nl.yaml" && issue.line != nil)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aLocaleIsCompleteOnlyWithEveryKeyPlaceholderAndPluralForm() throws {
        let nl = try LocaleCatalog.load(path: "locales/nl.yaml", text: """
            language: nl
            name: Nederlands
            keywords: { help: [hulp], stop: [stop] }
            messages:
              booking:
                confirmed: "Gepland: {child} op {day}"
                taken: "Bezet"
              weeks: "om de {count} weken"
              people: { one: "{count} persoon", other: "{count} personen" }
            """)
        let complete = try LocaleCatalog.load(path: "locales/uk.yaml", text: """
            language: uk
            name: Українська
            keywords: { help: [допомога], stop: [стоп] }
            messages:
              booking: { confirmed: "{day}: {child}", taken: "Зайнято" }
              weeks: { one: "кожні {count} тиждень", few: "кожні {count} тижні", many: "кожні {count} тижнів", other: "кожні {count} тижня" }
              people: { one: "{count} особа", few: "{count} особи", many: "{count} осіб", other: "{count} особи" }
            """)
        let report = LocaleCompleteness(complete, base: nl, file: "locales/uk.yaml", baseFile: "locales/nl.yaml")
        #expect(report.issues.isEmpty, "plural forms where the base has one text with {count} are allowed")
        #expect(report.summary == "uk: 4/4 keys")

        let broken = try LocaleCatalog.load(path: "locales/so.yaml", text: """
            language: so
            name: Soomaali
            keywords: { help: [caawimo] }
            messages:
              booking:
                confirmed: "La qabsaday: {kid} {day}"
              weeks: "{count} toddobaadba mar"
              people: "dad"
              extra: "?"
            """)
        let gaps = LocaleCompleteness(broken, base: nl, file: "locales/so.yaml", baseFile: "locales/nl.yaml")
        #expect(gaps.translated == 1 && gaps.total == 4)
        #expect(gaps.summary == "so: 1/4 keys — 7 problems")
        #expect(gaps.issues.map(\.description) == [
            "locales/so.yaml:6: message 'booking.confirmed' uses the unknown placeholder {kid} (locales/nl.yaml:6 has {child}, {day})",
            "locales/so.yaml:6: message 'booking.confirmed' leaves out the placeholder {child} (locales/nl.yaml:6)",
            "locales/so.yaml: missing translation of 'booking.taken' (locales/nl.yaml:7)",
            "locales/so.yaml:8: message 'people' is one text, but locales/nl.yaml:9 has plural forms (so needs one, other)",
            "locales/so.yaml:8: message 'people' leaves out the placeholder {count} (locales/nl.yaml:9)",
            "locales/so.yaml:9: 'extra' is not a key of the base language (locales/nl.yaml)",
            "locales/so.yaml: no command words for 'stop' under keywords: (locales/nl.yaml has them)",
        ])
    }

    @Test func aCommandWordMeaningTwoCommandsInTwoLanguagesIsReported() throws {
        let nl = try LocaleCatalog.load(path: "nl.yaml", text: "language: nl\nname: Nederlands\nkeywords:\n  stop: [stop]\n  menu: [menu]\nmessages:\n  a: b\n")
        let es = try LocaleCatalog.load(path: "es.yaml", text: "language: es\nname: Español\nkeywords:\n  menu: [menu, menú]\n  help: [stop]\nmessages:\n  a: b\n")
        #expect(LocaleCompleteness.conflictingKeywords([(nl, "locales/nl.yaml"), (es, "locales/es.yaml")]).map(\.description)
                == ["locales/nl.yaml: the command word 'stop' for 'stop' already means 'help' in es"])
    }

    @Test func theShippedLocalesMapPlatformCodesAndReadRightToLeftOnlyInArabicAndPersian() throws {
        let catalogs = try FileManager.default.contentsOfDirectory(at: Repository.locales, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .map { try LocaleCatalog.load(path: $0.path, text: String(contentsOf: $0, encoding: .utf8)) }
        let localizer = Localizer(catalogs: catalogs, timeZone: TimeZone(identifier: "Europe/Amsterdam")!)
        #expect(localizer.languages == ["nl", "ar", "en", "es", "fa", "pl", "so", "ti", "tr", "uk"])
        // Language codes as Telegram and browsers send them.
        #expect(["fa", "fa-IR", "fa-AF", "es", "es-419", "so", "so-SO", "ti", "ti-ER", "uk-UA", "pt-br", "prs"].map(localizer.supported)
                == ["fa", "fa", "fa", "es", "es", "so", "so", "ti", "ti", "uk", "nl", "nl"])
        #expect(localizer.languages.filter(localizer.isRightToLeft) == ["ar", "fa"])
        #expect(["so", "ti", "fa", "es"].map(localizer.languageName) == ["Soomaali", "ትግርኛ", "فارسی", "Español"])
        #expect(localizer.text("language.changed", language: "fa") == "از این به بعد به فارسی می‌نویسم.")
        #expect(["so", "ti", "fa", "es"].map { localizer.text("reception.people_option", ["count": .number(2)], language: $0) }
                == ["2 qof", "2 ሰባት", "2 نفر", "2 personas"])
    }
}
