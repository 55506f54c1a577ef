import Dialogue
import Foundation
import SamenspraakCore
import Storage

/// Buddies by chat: offering to be one (languages, situations, how many parents; pause, resume, stop), asking for one,
/// answering an introduction (double opt-in), writing to one's buddy through Samenspraak, exchanging phone numbers
/// once both chose to, and ending the pairing. Buttons name their introduction; only its two households may use it.
extension SchoolHost {
    static let buddyActions: [String: Set<String>] = [
        "buddy_status": ["ok"],
        "route_buddy_action": ["want", "offer", "paused", "resumed", "stopped", "withdrawn", "write", "share", "end", "gone"],
        "check_buddy_request": ["ok", "already"],
        "request_buddy": ["proposed", "waiting"],
        "begin_buddy_offer": ["ok"],
        "add_buddy_language": ["ok"],
        "add_buddy_situation": ["ok"],
        "save_buddy_offer": ["ok", "incomplete"],
        "answer_buddy": ["waiting", "paired", "parent_declined", "buddy_declined", "decided", "gone"],
        "select_buddy_pair": ["ok", "gone"],
        "relay_to_buddy": ["ok", "gone"],
        "share_buddy_contact": ["waiting", "exchanged", "no_phone", "gone"],
        "accept_buddy_need": ["proposed", "waiting", "declined", "gone"],
        "answer_buddy_check_in": ["good", "poor", "gone"],
        "end_buddy_pair": ["ok", "gone"],
    ]
    static let buddyOptionSources = ["buddy_actions", "buddy_situations", "buddy_languages", "buddy_offer_situations", "buddy_capacities"]
    /// The messages the buddy code sends or labels with (the flows name the rest).
    static let buddyMessages: [String] = ["buddy.proposal_parent", "buddy.proposal_buddy", "buddy.yes_introduce", "buddy.no_thanks",
        "buddy.introduced", "buddy.write", "buddy.share", "buddy.end", "buddy.reply", "buddy.a_parent", "buddy.relay", "buddy.share_asked",
        "buddy.contact", "buddy.ended_by_other", "buddy.not_going_ahead", "buddy.looking_further", "buddy.capacity_option",
        "buddy.status_paired", "buddy.status_asking", "buddy.status_searching", "buddy.status_offer", "buddy.status_offer_paused",
        "buddy.status_none", "buddy.action_want", "buddy.action_withdraw", "buddy.action_offer", "buddy.action_change",
        "buddy.action_pause", "buddy.action_resume", "buddy.action_stop", "buddy.other_unreachable", "buddy.expired", "buddy.check_in",
        "buddy.check_in_good", "buddy.check_in_poor", "buddy.suggested", "buddy.yes_find", "buddy.relay_translated", "buddy.relay_untranslated"]
        + BuddySituation.allCases.flatMap { ["buddy.need_\($0.rawValue)", "buddy.offer_\($0.rawValue)", "buddy.situation_\($0.rawValue)"] }
    /// How many parents one buddy may offer to support at once (the database allows up to 5).
    static let buddyCapacities = 1...3

    var matchmaker: BuddyMatchmaker { BuddyMatchmaker(tx: tx, school: school, localizer: localizer, now: now) }

    /// The options of a buddy option source; nil when `source` is not one of them.
    func buddyOptions(_ source: String, session: Session) throws -> [Option]? {
        switch source {
        case "buddy_actions":
            return try buddyMenu()
        case "buddy_situations":
            return BuddySituation.allCases.map { Option(id: $0.rawValue, label: "buddy.need_\($0.rawValue)") }
        case "buddy_languages":
            let chosen = Set(session.vars["buddy_languages"]?.plain.split(separator: ",").map(String.init) ?? [])
            return localizer.languages.filter { !chosen.contains($0) }.prefix(Self.maximumOptions - 1).map { Option(id: $0, fixedLabel: localizer.languageName($0)) }
        case "buddy_offer_situations":
            let chosen = Set(session.vars["buddy_situations"]?.plain.split(separator: ",").map(String.init) ?? [])
            return BuddySituation.allCases.filter { !chosen.contains($0.rawValue) }.map { Option(id: $0.rawValue, label: "buddy.offer_\($0.rawValue)") }
        case "buddy_capacities":
            return Self.buddyCapacities.map { Option(id: String($0), label: "buddy.capacity_option", values: ["count": .number($0)]) }
        default:
            return nil
        }
    }

    /// Performs a buddy action; nil when `action` is not one of them.
    mutating func performBuddyAction(_ action: String, session: inout Session) throws -> String? {
        switch action {
        case "buddy_status":
            session.vars["status"] = .text(try buddyStatus())
            return "ok"
        case "route_buddy_action":
            return try routeBuddyAction(session: &session)
        case "check_buddy_request":
            return try tx.openBuddyNeed(household: household).map { $0.acceptedAt != nil } == true ? "already" : "ok"
        case "request_buddy":
            guard case .text(let situation)? = session.vars["situation"], BuddySituation(rawValue: situation) != nil else { return "waiting" }
            var need = try tx.openBuddyNeed(household: household, situation: situation, source: "parent", acceptedAt: now, at: now)
            if need.acceptedAt == nil || need.situation != situation {
                // A need a teacher flagged, now asked for by the parent themselves.
                (need.acceptedAt, need.situation) = (now, situation)
                try tx.saveBuddyNeed(need)
            }
            try proposeBuddies()
            return notices.contains { $0.key == "buddy.proposal_parent" && $0.recipient == .household(household) } ? "proposed" : "waiting"
        case "begin_buddy_offer":
            let offer = try tx.buddyVolunteer(household: household)
            session.vars["buddy_languages"] = .text((offer?.languages ?? [language]).joined(separator: ","))
            session.vars["buddy_situations"] = .text(offer?.situations.joined(separator: ",") ?? "")
            describeOffer(&session)
            return "ok"
        case "add_buddy_language":
            add(session.vars["buddy_language"]?.plain, to: "buddy_languages", allowed: Set(localizer.languages), &session)
            return "ok"
        case "add_buddy_situation":
            add(session.vars["buddy_situation"]?.plain, to: "buddy_situations", allowed: Set(BuddySituation.allCases.map(\.rawValue)), &session)
            return "ok"
        case "save_buddy_offer":
            let languages = session.vars["buddy_languages"]?.plain.split(separator: ",").map(String.init) ?? []
            let situations = session.vars["buddy_situations"]?.plain.split(separator: ",").map(String.init) ?? []
            guard !languages.isEmpty, !situations.isEmpty else { return "incomplete" }
            let capacity = Int(session.vars["capacity"]?.plain ?? "").map { min(max($0, Self.buddyCapacities.lowerBound), Self.buddyCapacities.upperBound) } ?? 1
            try tx.saveBuddyVolunteer(household: household, languages: languages, situations: situations, capacity: capacity, at: now)
            try proposeBuddies()
            return "ok"
        case "answer_buddy":
            return try answerIntroduction(session: &session)
        case "select_buddy_pair":
            guard let (introduction, other) = try ownPairing(session.vars["argument"]?.plain) else { return "gone" }
            session.vars["introduction"] = .text(String(introduction.id))
            session.vars["name"] = try matchmaker.profile(of: other)["name"]
            return "ok"
        case "relay_to_buddy":
            guard let (introduction, other) = try ownPairing(session.vars["introduction"]?.plain), case .text(let text)? = session.vars["relay_text"]
            else { return "gone" }
            session.vars["relay_text"] = nil
            if translatesBuddyMessages {
                // Translated and passed on by the relay loop, so this step never waits on the provider.
                try tx.queueBuddyMessage(introductionID: introduction.id, from: household, language: language, text: text, at: now)
                plannedJobs = true
            } else {
                notices.append(try matchmaker.relay(text, introduction: introduction, from: household, to: other))
            }
            return "ok"
        case "share_buddy_contact":
            guard case (var introduction, let other)? = try ownPairing(session.vars["argument"]?.plain) else { return "gone" }
            session.vars["name"] = try matchmaker.profile(of: other)["name"]
            guard try phone(of: household) != nil else { return "no_phone" }
            if household == introduction.parentID { introduction.parentSharesContact = true } else { introduction.buddySharesContact = true }
            try tx.saveBuddyIntroduction(introduction)
            guard introduction.parentSharesContact, introduction.buddySharesContact else {
                let values = try matchmaker.profile(of: household)
                notices.append(Notice(recipient: .household(other), key: "buddy.share_asked", values: values,
                                      buttons: [Notice.Button(flow: "buddy_share", argument: String(introduction.id), label: "buddy.share", values: values)]))
                return "waiting"
            }
            for (to, about) in [(household, other), (other, household)] {
                guard let phone = try phone(of: about) else { continue }
                notices.append(Notice(recipient: .household(to), key: "buddy.contact", values: try matchmaker.profile(of: about).merging(["phone": .text(phone)]) { $1 }))
            }
            return "exchanged"
        case "accept_buddy_need":
            // The parent's answer to a need a teacher or the care coordinator flagged ("<need id>:yes").
            let parts = session.vars["argument"]?.plain.split(separator: ":").map(String.init) ?? []
            guard parts.count == 2, let id = Int64(parts[0]), var need = try tx.buddyNeed(id: id), need.householdID == household, need.closedAt == nil
            else { return "gone" }
            guard parts[1] == "yes" else {
                need.closedAt = now
                try tx.saveBuddyNeed(need)
                return "declined"
            }
            guard need.acceptedAt == nil else { return "gone" }
            need.acceptedAt = now
            try tx.saveBuddyNeed(need)
            try proposeBuddies()
            return notices.contains { $0.key == "buddy.proposal_parent" && $0.recipient == .household(household) } ? "proposed" : "waiting"
        case "answer_buddy_check_in":
            let parts = session.vars["argument"]?.plain.split(separator: ":").map(String.init) ?? []
            guard parts.count == 2, ["good", "poor"].contains(parts[1]), case (var introduction, let other)? = try ownPairing(parts[0]) else { return "gone" }
            if household == introduction.parentID { introduction.parentCheckIn = parts[1] } else { introduction.buddyCheckIn = parts[1] }
            try tx.saveBuddyIntroduction(introduction)
            session.vars["argument"] = .text(parts[0])   // for ending it from here
            session.vars["name"] = try matchmaker.profile(of: other)["name"]
            return parts[1]
        case "end_buddy_pair":
            guard case (var introduction, let other)? = try ownPairing(session.vars["argument"]?.plain) else { return "gone" }
            var state = introduction.decisionState
            guard state.end() else { return "gone" }
            (introduction.state, introduction.endedAt) = (state.state.rawValue, now)
            try tx.saveBuddyIntroduction(introduction)
            session.vars["name"] = try matchmaker.profile(of: other)["name"]
            notices.append(Notice(recipient: .household(other), key: "buddy.ended_by_other", values: try matchmaker.profile(of: household)))
            return "ok"
        default:
            return nil
        }
    }

    /// Proposes buddies for the needs waiting; each proposal plans its lapse, so the scheduler may have to wake.
    mutating func proposeBuddies() throws {
        let proposals = try matchmaker.proposeWaiting()
        notices += proposals
        plannedJobs = plannedJobs || !proposals.isEmpty
    }

    mutating func proposeBuddiesAfter(unreachable household: Int64) throws {
        let told = try matchmaker.householdUnreachable(household)
        notices += told
        plannedJobs = plannedJobs || !told.isEmpty
    }

    // MARK: - The buddy menu

    /// What this household can do now: ask for a buddy or stop looking, offer (or change, pause, resume, stop) its help,
    /// and per pairing write, share numbers or end it.
    func buddyMenu() throws -> [Option] {
        var options: [Option] = []
        let need = try tx.openBuddyNeed(household: household)
        let introductions = try tx.buddyIntroductions(household: household)
        let paired = introductions.filter { $0.state == BuddyIntroduction.State.paired.rawValue }
        for introduction in paired.prefix(2) {
            guard let other = introduction.other(than: household) else { continue }
            let values = try matchmaker.profile(of: other)
            options.append(Option(id: "write:\(introduction.id)", label: "buddy.write", values: values))
            if !(household == introduction.parentID ? introduction.parentSharesContact : introduction.buddySharesContact) {
                options.append(Option(id: "share:\(introduction.id)", label: "buddy.share", values: values))
            }
            options.append(Option(id: "end:\(introduction.id)", label: "buddy.end", values: values))
        }
        if let need, need.acceptedAt != nil {
            options.append(Option(id: "withdraw", label: "buddy.action_withdraw"))
        } else if !paired.contains(where: { $0.parentID == household }) {
            options.append(Option(id: "want", label: "buddy.action_want"))
        }
        if let offer = try tx.buddyVolunteer(household: household) {
            options.append(Option(id: "offer", label: "buddy.action_change"))
            options.append(offer.pausedAt == nil ? Option(id: "pause", label: "buddy.action_pause") : Option(id: "resume", label: "buddy.action_resume"))
            options.append(Option(id: "stop", label: "buddy.action_stop"))
        } else {
            options.append(Option(id: "offer", label: "buddy.action_offer"))
        }
        return Array(options.prefix(Self.maximumOptions - 1))
    }

    /// One line per thing going on: the buddies, the search, the offer.
    func buddyStatus() throws -> String {
        var lines: [String] = []
        for introduction in try tx.buddyIntroductions(household: household) {
            guard let other = introduction.other(than: household) else { continue }
            switch BuddyIntroduction.State(rawValue: introduction.state) {
            case .paired?: lines.append(localizer.text("buddy.status_paired", try matchmaker.profile(of: other), language: language))
            case .asking?: lines.append(localizer.text("buddy.status_asking", try matchmaker.profile(of: other), language: language))
            default: break
            }
        }
        if let need = try tx.openBuddyNeed(household: household), need.acceptedAt != nil,
           try tx.buddyIntroductions(household: household).allSatisfy({ $0.needID != need.id || $0.state != "asking" }) {
            lines.append(localizer.text("buddy.status_searching", [:], language: language))
        }
        if let offer = try tx.buddyVolunteer(household: household) {
            lines.append(localizer.text(offer.pausedAt == nil ? "buddy.status_offer" : "buddy.status_offer_paused",
                                        ["languages": .text(offer.languages.map(localizer.languageName).joined(separator: ", ")), "count": .number(offer.capacity)],
                                        language: language))
        }
        return lines.isEmpty ? localizer.text("buddy.status_none", [:], language: language) : lines.joined(separator: "\n")
    }

    mutating func routeBuddyAction(session: inout Session) throws -> String {
        let chosen = session.vars["buddy_action"]?.plain ?? ""
        let parts = chosen.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "want": return "want"
        case "offer": return "offer"
        case "pause", "resume":
            guard try tx.buddyVolunteer(household: household) != nil else { return "gone" }
            try tx.pauseBuddyVolunteer(household: household, at: parts[0] == "pause" ? now : nil)
            if parts[0] == "resume" { try proposeBuddies() }
            return parts[0] == "pause" ? "paused" : "resumed"
        case "stop":
            try tx.removeBuddyVolunteer(household: household)
            return "stopped"
        case "withdraw":
            guard var need = try tx.openBuddyNeed(household: household) else { return "gone" }
            need.closedAt = now
            try tx.saveBuddyNeed(need)
            // A buddy being asked for this need hears it does not go ahead, and is free again.
            for var introduction in try tx.buddyIntroductions(household: household) where introduction.needID == need.id {
                var decision = introduction.decisionState
                guard decision.state == .asking, decision.withdraw() else { continue }
                introduction.state = decision.state.rawValue
                try tx.saveBuddyIntroduction(introduction)
                notices.append(Notice(recipient: .household(introduction.buddyID), key: "buddy.not_going_ahead", values: try matchmaker.profile(of: household)))
            }
            return "withdrawn"
        case "write", "share", "end":
            guard parts.count == 2 else { return "gone" }
            session.vars["argument"] = .text(parts[1])
            return parts[0]
        default:
            return "gone"
        }
    }

    // MARK: - Introductions

    /// A yes or no to an introduction ("<id>:yes"): the second yes pairs the two; a no lets the parent's need look further.
    mutating func answerIntroduction(session: inout Session) throws -> String {
        let parts = session.vars["argument"]?.plain.split(separator: ":").map(String.init) ?? []
        guard parts.count == 2, let id = Int64(parts[0]), var introduction = try tx.buddyIntroduction(id: id),
              let other = introduction.other(than: household) else { return "gone" }
        session.vars["name"] = try matchmaker.profile(of: other)["name"]
        var decision = introduction.decisionState
        let party: BuddyIntroduction.Party = household == introduction.parentID ? .parent : .buddy
        let outcome = decision.answer(party, yes: parts[1] == "yes", at: now)
        (introduction.parentConsentAt, introduction.buddyConsentAt, introduction.state) =
            (decision.parentConsent, decision.buddyConsent, decision.state.rawValue)
        try tx.saveBuddyIntroduction(introduction)
        switch outcome {
        case .waitingForTheOther:
            return "waiting"
        case .paired:
            if var need = try tx.buddyNeed(id: introduction.needID) {
                need.closedAt = now
                try tx.saveBuddyNeed(need)
            }
            notices += try matchmaker.introductions(introduction)
            try tx.plan(BuddyJobs.checkIn(of: introduction, pairedAt: now))
            plannedJobs = true
            return "paired"
        case .declined:
            // The other hears that it does not go ahead, without who said no; the parent's search goes on.
            notices.append(Notice(recipient: .household(other), key: party == .parent ? "buddy.not_going_ahead" : "buddy.looking_further",
                                  values: try matchmaker.profile(of: household)))
            try proposeBuddies()
            return party == .parent ? "parent_declined" : "buddy_declined"
        case .alreadyDecided(let state):
            if state == .expired { try proposeBuddies() }
            return "decided"
        }
    }

    /// The pairing `argument` names, if this household is one of its two and it is on; with the other household.
    func ownPairing(_ argument: String?) throws -> (BuddyIntroductionRecord, Int64)? {
        guard let id = argument.flatMap({ Int64($0) }), let introduction = try tx.buddyIntroduction(id: id),
              introduction.state == BuddyIntroduction.State.paired.rawValue, let other = introduction.other(than: household) else { return nil }
        return (introduction, other)
    }

    /// The phone number the household's guardians gave the school, if any.
    func phone(of household: Int64) throws -> String? {
        try tx.guardians(household: household).map(\.phone).first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    // MARK: - Offering help

    func add(_ value: String?, to list: String, allowed: Set<String>, _ session: inout Session) {
        var items = session.vars[list]?.plain.split(separator: ",").map(String.init) ?? []
        if let value, allowed.contains(value), !items.contains(value) { items.append(value) }
        session.vars[list] = .text(items.joined(separator: ","))
        describeOffer(&session)
    }

    /// What the parent chose so far, in their language, for the next question.
    func describeOffer(_ session: inout Session) {
        let languages = session.vars["buddy_languages"]?.plain.split(separator: ",").map { localizer.languageName(String($0)) } ?? []
        let situations = session.vars["buddy_situations"]?.plain.split(separator: ",").map {
            localizer.text("buddy.offer_\($0)", [:], language: language)
        } ?? []
        session.vars["chosen_languages"] = .text(languages.joined(separator: ", "))
        session.vars["chosen_situations"] = .text(situations.isEmpty ? "–" : situations.joined(separator: ", "))
    }
}

extension BuddyIntroductionRecord {
    /// The core's double opt-in, at this record's answers.
    var decisionState: BuddyIntroduction {
        BuddyIntroduction(askedAt: askedAt, parentConsent: parentConsentAt, buddyConsent: buddyConsentAt,
                          state: BuddyIntroduction.State(rawValue: state) ?? .ended)
    }
}
