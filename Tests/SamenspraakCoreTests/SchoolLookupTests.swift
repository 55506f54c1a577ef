import Foundation
import Testing
@testable import SamenspraakCore

/// Teachers and groups are found by id through an index kept with the lists, also after the lists change.
@Suite struct SchoolLookupTests {
    func teacher(_ id: String, _ name: String) -> Teacher { Teacher(id: id, name: name, place: "L1", availability: []) }

    @Test func teachersAndGroupsAreFoundByIdAfterEveryChange() {
        let now = Date(timeIntervalSince1970: 1_788_250_200)
        var school = School(name: "S", timeZone: .gmt, languages: ["nl"], booking: BookingSettings(opens: now, closes: now + 86_400),
                            teachers: [teacher("t1", "Anna"), teacher("t2", "Bram"), teacher("t1", "Anna again")],
                            groups: [Group(id: "g5", name: "Groep 5", teacherIDs: ["t1", "t2"])])
        #expect(school.teacher("t1")?.name == "Anna")  // the first of a repeated id, as a search from the start finds
        #expect(school.teacher("t2")?.name == "Bram")
        #expect(school.teacher("t3") == nil && school.group("g6") == nil)
        #expect(school.teachers(ofGroup: "g5").map(\.name) == ["Anna", "Bram"])
        school.teachers.append(teacher("t3", "Chris"))
        school.teachers.remove(at: 0)
        school.groups = [Group(id: "g6", name: "Groep 6", teacherIDs: ["t3"])]
        #expect(school.teacher("t3")?.name == "Chris")
        #expect(school.teacher("t1")?.name == "Anna again")
        #expect(school.group("g5") == nil && school.group("g6")?.name == "Groep 6")
        #expect(school.teachers(ofGroup: "g6").map(\.name) == ["Chris"])
    }
}
