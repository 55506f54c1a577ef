import Foundation
import SamenspraakCore
import Storage

/// What staff look at to see whether the startgesprekken reach everyone: per group, children with a talk booked and
/// held, and the agreed follow-ups teachers have not done yet.
public struct GroupCoverage: Sendable, Codable, Equatable {
    public var group: String
    public var name: String
    public var children: Int
    public var booked: Int
    public var held: Int
    public var notBooked: Int
    public var overdueFollowUps: Int

    enum CodingKeys: String, CodingKey {
        case group, name, children, booked, held, notBooked = "not_booked", overdueFollowUps = "overdue_follow_ups"
    }
}

extension ConversationService {
    public func coverage() async throws -> [GroupCoverage] {
        let now = clock.now()
        let today = SchoolDay(now, in: school.calendar).description
        return try await database.read { [school] tx in
            let overdue = try tx.overdueFollowUps(before: today)
            var children: [String: String] = [:]   // child → group, for the overdue ones
            for item in overdue where children[item.agreement.childID] == nil {
                children[item.agreement.childID] = try tx.child(id: item.agreement.childID)?.groupID
            }
            return try tx.talkCoverage(now: now).map { row in
                GroupCoverage(group: row.group, name: school.group(row.group)?.name ?? row.group, children: row.children, booked: row.booked,
                              held: row.held, notBooked: row.children - row.booked,
                              overdueFollowUps: overdue.filter { children[$0.agreement.childID] == row.group }.count)
            }
        }
    }
}
