/// What a teacher or a parent might write, and its translations, as the fakes answer them. A text the table does not
/// know comes back marked with its target language.
enum Phrases {
    static let gymDutch = "Morgen hebben de kinderen gym, vergeet de gymschoenen niet."
    static let gymArabic = "غدًا لدى الأطفال درس رياضة، لا تنسوا الأحذية الرياضية."
    static let gymPersian = "فردا بچه‌ها ورزش دارند، کفش ورزشی را فراموش نکنید."
    static let gymEnglish = "Tomorrow the children have PE, don't forget their gym shoes."
    static let lateArabic = "هل يمكنني أن آتي متأخرًا قليلًا يوم الخميس؟"
    static let lateDutch = "Mag ik donderdag iets later komen?"

    static let table: [String: [String: String]] = [
        gymDutch: ["ar": gymArabic, "fa": gymPersian, "en": gymEnglish],
        lateArabic: ["nl": lateDutch],
        gymArabic: ["fa": gymPersian],
    ]

    /// `target` in the provider's spelling ("AR", "EN-GB", "fa").
    static func translate(_ text: String, to target: String) -> String {
        let language = String(target.lowercased().prefix { $0 != "-" })
        return table[text]?[language] ?? "[\(language)] \(text)"
    }

    /// The language a fake "detects" for a text, as LibreTranslate and DeepL report it.
    static func detect(_ text: String) -> String {
        text.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) } ? "ar" : "nl"
    }
}
