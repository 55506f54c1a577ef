import Dialogue
import Foundation
import Synchronization

/// The sessions this daemon last stored, by contact. A person's next step starts from the stored text, and reading
/// it back with `JSONDecoder` cost a fifth of a step; when the stored text is exactly the text kept here, the kept
/// session is used instead. Anything else (another daemon's step, a rolled-back one, a staff change) differs in text
/// and is read from it.
final class SessionCache: Sendable {
    private let kept = Mutex<[Int64: (json: String, session: Session)]>([:])
    /// A few kilobytes each; past this many the cache starts over rather than grow with every person who wrote.
    private let capacity: Int

    init(capacity: Int = 2_000) { self.capacity = capacity }

    /// The session stored as `json` for `contact`; nil when the text is not JSON of a session.
    func session(of contact: Int64, stored json: String) -> Session? {
        // Byte for byte: exactly the text stored (and no Unicode-aware comparison of a whole session at every step).
        if let entry = kept.withLock({ $0[contact] }), entry.json.utf8.elementsEqual(json.utf8) { return entry.session }
        return try? JSONDecoder().decode(Session.self, from: Data(json.utf8))
    }

    /// The text to store for `session`, remembered for the contact's next step.
    func store(_ session: Session, of contact: Int64) -> String {
        let json = session.json
        kept.withLock { kept in
            if kept.count >= capacity, kept[contact] == nil { kept.removeAll(keepingCapacity: true) }
            kept[contact] = (json, session)
        }
        return json
    }
}
