/// Our language codes in DeepL's terms. From DeepL's list of supported languages (developers.deepl.com, June 2026):
/// Persian is among them since January 2026; Somali and Tigrinya are not.
enum DeepLLanguages {
    /// Languages DeepL translates from and into, as our lowercase codes.
    static let supported: Set<String> = Set("""
        ar bg cs da de el en es et fi fr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk zh \
        ace af an as ay az ba be bho bn br bs ca ceb ckb cy eo eu fa ga gl gn gom gu ha he hi hr ht hy ig is jv ka kk kmr \
        ky la lb lmo ln mai mg mi mk ml mn mr ms mt my ne oc om pa pag pam prs ps qu sa scn sq sr st su sw ta te tg th tk \
        tl tn ts tt ur uz vi wo xh yi yue zu
        """.split(separator: " ").map(String.init))

    /// Target languages DeepL wants with a variant: it marks plain EN, PT and ZH as kept only for old integrations.
    /// Dutch schools write British English.
    static let targetVariants = ["en": "EN-GB", "pt": "PT-PT", "zh": "ZH-HANS"]

    static func source(_ language: String) -> String? {
        supported.contains(language) ? language.uppercased() : nil
    }

    static func target(_ language: String) -> String? {
        supported.contains(language) ? targetVariants[language] ?? language.uppercased() : nil
    }
}
