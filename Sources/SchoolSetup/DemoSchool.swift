import Foundation
import SamenspraakCore

/// Generates a believable school of any size: groups of about 28 pupils, every fourth group with two
/// part-time teachers, siblings spread over groups, some children of separated parents (two households),
/// a mix of home languages, and talk times in the two school weeks after `now`.
/// The same `seed` always gives the same school.
public struct DemoSchool {
    public var school: School
    public var roster: Roster

    /// The languages a demo school offers, in the order of its language menu: every shipped locale (a test holds
    /// this to `locales/`).
    public static let languages = ["nl", "en", "ar", "tr", "pl", "uk", "so", "ti", "fa", "es"]

    public init(households: Int = 45, now: Date, seed: UInt64 = 2026, languages: [String] = DemoSchool.languages) {
        var rng = SeededGenerator(seed: seed)
        let zone = TimeZone(identifier: "Europe/Amsterdam")!
        let calendar = Calendar.gregorian(in: zone)

        // Households first: sizes 1–3 children; ~2% of children also live in a second household.
        var plans: [(key: String, children: Int, language: String, surname: String)] = []
        var childCount = 0
        for number in 1...max(households, 3) {
            let roll = rng.next(upperBound: UInt64(100))
            let children = roll < 70 ? 1 : roll < 93 ? 2 : 3
            let language = Self.pickLanguage(&rng, offered: languages)
            let surname = Self.surnames[language, default: Self.surnames["nl"]!].randomElement(using: &rng)!
            plans.append((String(format: "H%05d", number), children, language, surname))
            childCount += children
        }
        let groupCount = max(3, Int((Double(childCount) / 28).rounded(.up)))
        let groupNames = ["1/2", "3", "4", "5", "6", "7", "8"]

        // Teachers and their availability in the two weeks after the coming Monday.
        let startOfToday = calendar.startOfDay(for: now)
        let weekday = calendar.component(.weekday, from: startOfToday)  // 1 = Sunday
        let daysToMonday = (9 - weekday) % 7 == 0 ? 7 : (9 - weekday) % 7
        let monday = calendar.date(byAdding: .day, value: daysToMonday, to: startOfToday)!
        func at(_ dayOffset: Int, _ hour: Int, _ minute: Int) -> Date {
            let day = calendar.date(byAdding: .day, value: dayOffset, to: monday)!
            return calendar.date(bySettingHour: hour, minute: minute, second: 0, of: day)!
        }
        var teachers: [Teacher] = []
        var groups: [Group] = []
        var teacherNumber = 0
        for groupIndex in 0..<groupCount {
            let twoTeachers = groupIndex % 4 == 0
            var ids: [String] = []
            for part in 0..<(twoTeachers ? 2 : 1) {
                teacherNumber += 1
                let name = Self.teacherNames[(teacherNumber - 1) % Self.teacherNames.count]
                let id = teacherNumber <= Self.teacherNames.count ? Self.slug(name) : "\(Self.slug(name))-\(teacherNumber)"
                // Part-time teachers split the afternoons; each keeps an evening and the child-free day morning.
                let afternoons = twoTeachers ? (part == 0 ? [0, 1, 7, 8] : [2, 3, 9, 10]) : [0, 1, 2, 7, 8, 9]
                var blocks = afternoons.map { AvailabilityBlock(kind: .afterSchool, start: at($0, 14, 30), end: at($0, 17, 0)) }
                blocks.append(AvailabilityBlock(kind: .evening, start: at(part == 0 ? 1 : 8, 19, 0), end: at(part == 0 ? 1 : 8, 21, 0)))
                blocks.append(AvailabilityBlock(kind: .childFreeDay, start: at(4, 8, 30), end: at(4, 12, 0)))
                teachers.append(Teacher(id: id, name: name, place: "Lokaal \(groupIndex + 1)", availability: blocks))
                ids.append(id)
            }
            let label = groupNames[groupIndex % groupNames.count]
            let name = groupCount <= groupNames.count ? "Groep \(label)" : "Groep \(label)\(Character(UnicodeScalar(65 + groupIndex / groupNames.count % 26)!))"
            groups.append(Group(id: "g\(groupIndex + 1)", name: name, teacherIDs: ids))
        }

        // Children, spread over groups so siblings land in different ones.
        var children: [Roster.Child] = []
        var rosterHouseholds: [Roster.Household] = []
        var nextGroup = 0
        for plan in plans {
            var childIDs: [String] = []
            for _ in 0..<plan.children {
                let id = String(1000 + children.count + 1)
                // Siblings get different first names: a parent must be able to tell the buttons apart.
                let names = Self.firstNames[plan.language, default: Self.firstNames["nl"]!]
                var first = names.randomElement(using: &rng)!
                while children.suffix(childIDs.count).contains(where: { $0.firstName == first }) { first = names.randomElement(using: &rng)! }
                children.append(Roster.Child(id: id, firstName: first, lastName: plan.surname, groupID: groups[nextGroup % groupCount].id))
                nextGroup += 1 + Int(rng.next(upperBound: UInt64(2)))
                childIDs.append(id)
            }
            let parents = rng.next(upperBound: UInt64(10)) < 7 ? 2 : 1
            let guardians = (0..<parents).map { index in
                Roster.Guardian(
                    name: "\(Self.parentNames[(Int(rng.next(upperBound: UInt64(1000))) + index) % Self.parentNames.count]) \(plan.surname)",
                    phone: String(format: "+316%08d", Int(rng.next(upperBound: UInt64(100_000_000)))), language: plan.language)
            }
            rosterHouseholds.append(Roster.Household(key: plan.key, guardians: guardians, childIDs: childIDs))
        }
        // Separated parents: the first child of every 50th household (at least one) also lives in a second household.
        for index in stride(from: 1, to: rosterHouseholds.count, by: 50) {
            let childID = rosterHouseholds[index].childIDs[0]
            let surname = children.first { $0.id == childID }?.lastName ?? "Jansen"
            rosterHouseholds.append(Roster.Household(
                key: rosterHouseholds[index].key + "B",
                guardians: [Roster.Guardian(name: "\(Self.parentNames[index % Self.parentNames.count]) \(surname)",
                                            phone: String(format: "+316%08d", Int(rng.next(upperBound: UInt64(100_000_000)))), language: "nl")],
                childIDs: [childID]))
        }

        let booking = BookingSettings(opens: calendar.date(byAdding: .day, value: -1, to: startOfToday)!, closes: at(10, 21, 0))
        school = School(name: "OBS De Regenboog (demo)", timeZone: zone, languages: languages, booking: booking, teachers: teachers, groups: groups)
        // The rest of a school year, counted from the talks' week, for agreements to refer to.
        let week1 = SchoolDay(monday, in: calendar)
        func day(week: Int, _ weekday: Int) -> SchoolDay { week1.adding(days: 7 * week + weekday - 1) }
        school.year = SchoolYear(
            reports: [.init(id: "report1", name: "Rapport 1", day: day(week: 9, 5)), .init(id: "report2", name: "Rapport 2", day: day(week: 27, 5))],
            holidays: [.init(id: "short", name: "Korte vakantie", first: day(week: 4, 6), last: day(week: 5, 7)),
                       .init(id: "summer", name: "Zomervakantie", first: day(week: 33, 6), last: day(week: 39, 7))],
            childFreeDays: [day(week: 6, 3)])
        // Each group's nieuwjaarsreceptie on the Monday after the two weeks of talks, after school.
        school.receptions = groups.enumerated().map { index, group in
            let place = teachers.first { group.teacherIDs.contains($0.id) }?.place ?? "Aula"
            return Reception(id: "\(group.id)-receptie", groupID: group.id, start: at(14, 14 + index % 2, 0), end: at(14, 15 + index % 2, 0), place: place,
                             note: index == 0 ? "Broertjes en zusjes zijn welkom" : nil)
        }
        roster = Roster(children: children, households: rosterHouseholds)
    }

    /// A household's home language in the roster. The mix predates the four newest locales and is kept, so a seed
    /// still makes the same families; their parents choose so, ti, fa or es in the language menu.
    static func pickLanguage(_ rng: inout SeededGenerator, offered: [String]) -> String {
        let weights: [(String, UInt64)] = [("nl", 66), ("ar", 9), ("tr", 9), ("pl", 7), ("uk", 5), ("en", 4)]
        let usable = weights.filter { offered.contains($0.0) }
        var roll = rng.next(upperBound: usable.reduce(0) { $0 + $1.1 })
        for (language, weight) in usable {
            if roll < weight { return language }
            roll -= weight
        }
        return offered.first ?? "nl"
    }

    static func slug(_ name: String) -> String {
        name.lowercased().split(separator: " ").dropFirst().joined(separator: "-")
            .folding(options: .diacriticInsensitive, locale: nil).filter { $0.isLetter || $0 == "-" }
    }

    static let teacherNames = ["Juf Anouk de Vries", "Meester Youssef Amrani", "Juf Sanne Bakker", "Meester Tom Visser",
                               "Juf Ayşe Yıldız", "Juf Marieke Smit", "Meester Daan Mulder", "Juf Lotte de Boer"]
    static let parentNames = ["Fatima", "Mohamed", "Linda", "Mark", "Elif", "Murat", "Anna", "Piotr", "Olena", "Andriy", "Sarah",
                              "Kees", "Nadia", "Emre", "Joanna", "Iryna", "Peter", "Samira", "Bram", "Esra"]
    static let firstNames: [String: [String]] = [
        "nl": ["Emma", "Noah", "Julia", "Liam", "Mila", "Luca", "Tess", "Sem", "Sophie", "Daan", "Zoë", "Finn", "Saar", "Levi"],
        "ar": ["Sara", "Adam", "Yasmine", "Rayan", "Nour", "Amir", "Lina", "Ilias", "Hiba", "Zakaria"],
        "tr": ["Elif", "Yusuf", "Zeynep", "Emir", "Defne", "Mert", "Azra", "Kerem"],
        "pl": ["Zofia", "Jakub", "Hanna", "Antoni", "Maja", "Szymon"],
        "uk": ["Sofiia", "Maksym", "Anna", "Artem", "Viktoriia", "Dmytro"],
        "en": ["Olivia", "Jack", "Amelia", "Harry", "Isla", "Oscar"],
    ]
    static let surnames: [String: [String]] = [
        "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Graaf"],
        "ar": ["El Amrani", "Benali", "Haddou", "El Idrissi", "Bouzid"],
        "tr": ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"],
        "pl": ["Nowak", "Kowalski", "Wiśniewska", "Wójcik"],
        "uk": ["Shevchenko", "Bondarenko", "Kovalenko", "Tkachenko"],
        "en": ["Smith", "Taylor", "Brown", "Wilson"],
    ]
}
