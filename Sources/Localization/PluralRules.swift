/// CLDR plural categories.
public enum PluralCategory: String, Sendable, CaseIterable, Hashable {
    case zero, one, two, few, many, other
}

/// CLDR cardinal plural rules for whole numbers in the languages Samenspraak ships or may ship.
public enum PluralRules {
    /// The category of `n` in `language`; unknown languages use the one/other rule.
    public static func category(_ n: Int, language: String) -> PluralCategory {
        let n = abs(n)
        let mod10 = n % 10
        let mod100 = n % 100
        switch language {
        case "ar":
            if n == 0 { return .zero }
            if n == 1 { return .one }
            if n == 2 { return .two }
            if (3...10).contains(mod100) { return .few }
            if (11...99).contains(mod100) { return .many }
            return .other
        case "pl":
            if n == 1 { return .one }
            if (2...4).contains(mod10) && !(12...14).contains(mod100) { return .few }
            return .many
        case "uk", "ru":
            if mod10 == 1 && mod100 != 11 { return .one }
            if (2...4).contains(mod10) && !(12...14).contains(mod100) { return .few }
            return .many
        case "fa", "ti", "hi":
            return n <= 1 ? .one : .other
        default:
            return n == 1 ? .one : .other
        }
    }

    /// The categories a translation must provide for whole numbers in `language`.
    public static func requiredCategories(language: String) -> Set<PluralCategory> {
        switch language {
        case "ar": return [.zero, .one, .two, .few, .many, .other]
        case "pl", "uk", "ru": return [.one, .few, .many, .other]
        default: return [.one, .other]
        }
    }
}
