import Foundation
import Testing
@testable import SamenspraakCore

@Suite struct SlotGenerationTests {
    let zone = TimeZone(identifier: "Europe/Amsterdam")!
    func at(_ hour: Int, _ minute: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: 2026, month: 9, day: 1, hour: hour, minute: minute))!
    }
    func school(blocks: [AvailabilityBlock], talk: Int = 20, buffer: Int = 5) -> School {
        School(name: "S", timeZone: zone, languages: ["nl"], booking: BookingSettings(opens: at(0, 0), closes: at(23, 0), talkMinutes: talk, bufferMinutes: buffer),
               teachers: [Teacher(id: "t", name: "T", place: "L1", availability: blocks)], groups: [Group(id: "g", name: "G", teacherIDs: ["t"])])
    }

    @Test func talksOfTwentyMinutesWithFiveMinutesBufferEndWithinTheBlock() {
        let slots = SlotGenerator.slots(for: school(blocks: [AvailabilityBlock(kind: .afterSchool, start: at(14, 30), end: at(16, 30))]))
        #expect(slots.map(\.start) == [at(14, 30), at(14, 55), at(15, 20), at(15, 45), at(16, 10)])
        #expect(slots.allSatisfy { $0.end.timeIntervalSince($0.start) == 1200 && $0.end <= at(16, 30) })
        #expect(slots.first?.place == "L1")
    }

    @Test func overlappingBlocksNeverGiveOverlappingSlots() {
        let slots = SlotGenerator.slots(for: school(blocks: [
            AvailabilityBlock(kind: .afterSchool, start: at(14, 0), end: at(15, 0)),
            AvailabilityBlock(kind: .afterSchool, start: at(14, 30), end: at(15, 30)),
        ]))
        for (a, b) in zip(slots, slots.dropFirst()) { #expect(b.start >= a.end) }
    }

    @Test func aBlockShorterThanATalkGivesNoSlot() {
        #expect(SlotGenerator.slots(for: school(blocks: [AvailabilityBlock(kind: .evening, start: at(19, 0), end: at(19, 15))])).isEmpty)
    }

    @Test func siblingsBackToBackSlotsComeFirst() {
        let sibling = (start: at(15, 20), end: at(15, 40))
        let slots = [at(14, 30), at(14, 55), at(15, 45), at(16, 10)].enumerated().map {
            SlotInfo(id: Int64($0.offset), teacherID: "t", start: $0.element, end: $0.element.addingTimeInterval(1200))
        }
        let ordered = BookingRules.orderForSiblings(slots, siblingTalks: [sibling])
        #expect(ordered.prefix(2).map(\.start) == [at(14, 55), at(15, 45)])
    }

    @Test func changesNeedTheWindowOpenAndTwoHoursNotice() {
        let settings = BookingSettings(opens: at(8, 0), closes: at(20, 0))
        #expect(BookingRules.isChangeable(slotStart: at(15, 0), now: at(12, 0), settings: settings))
        #expect(!BookingRules.isChangeable(slotStart: at(13, 0), now: at(12, 0), settings: settings))
        #expect(!BookingRules.isChangeable(slotStart: at(22, 0), now: at(21, 0), settings: settings))
    }
}

@Suite struct InviteCodeTests {
    @Test func codesAreLongRandomAndReadable() {
        let codes = Set((0..<1000).map { _ in InviteCode.generate() })
        #expect(codes.count == 1000)
        #expect(codes.allSatisfy { $0.count == 12 && !$0.contains("O") && !$0.contains("0") && !$0.contains("1") && !$0.contains("I") })
    }

    @Test func typedCodesAreNormalised() {
        #expect(InviteCode.normalise("k7qm-3xpa 9rtd") == "K7QM3XPA9RTD")
        #expect(InviteCode.normalise("K7QM-3XPA") == nil)
        #expect(InviteCode.normalise("K7QM-3XPA-9RT0") == nil)
        #expect(InviteCode.display("K7QM3XPA9RTD") == "K7QM-3XPA-9RTD")
    }

    @Test func typedWordsAreFoldedForMatching() {
        #expect("  İPTAL! ".foldedForMatching == "iptal")
        #expect("Ja, afzeggen.".foldedForMatching == "ja, afzeggen", "only the ends are trimmed")
        #expect("إلغاء؟".foldedForMatching == "إلغاء")
        #expect("Zażółć".foldedForMatching == "zażółć", "diacritics stay")
        #expect("i\u{307}".foldedForMatching == "i")
        #expect("a\u{307}".foldedForMatching == "a\u{307}", "a combining dot elsewhere is kept")
        #expect("¿Ayuda?".foldedForMatching == "ayuda" && "¡Hola!".foldedForMatching == "hola")
        #expect("ሰርዝ።".foldedForMatching == "ሰርዝ" && "ሓገዝ፧".foldedForMatching == "ሓገዝ")
    }

    @Test func numbersAreReadInTheDigitsOfEveryKeyboard() {
        #expect(["3", " 12 ", "3.", "٣", "۱۲", "۲۰۲۷"].map(\.typedNumber) == [3, 12, 3, 3, 12, 2027])
        #expect(["", "3a", "-1", "۱ ۲", "12345678901"].map(\.typedNumber) == [nil, nil, nil, nil, nil])
    }
}
