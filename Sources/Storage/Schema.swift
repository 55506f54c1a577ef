/// One step of the schema. Shipped steps are frozen: add a new one rather than edit an old one.
/// `sqlite` is the step as SQLite runs it; `postgres` the same step for PostgreSQL, which `PostgresDialect` derives
/// from it unless a step needs its own (SQLite rebuilds a table where PostgreSQL alters it in place).
public struct Migration: Sendable {
    public let name: String
    public let sqlite: String
    /// nil: the SQLite text, translated.
    public let postgres: String?

    init(_ name: String, _ sqlite: String, postgres: String? = nil) {
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }
}

/// The schema's steps, in order, for both databases.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration("v1: households, bookings, conversations", """
            CREATE TABLE household (
                id INTEGER PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                inviteCode TEXT NOT NULL UNIQUE,
                createdAt DATETIME NOT NULL
            );
            CREATE TABLE guardian (
                id INTEGER PRIMARY KEY,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                phone TEXT NOT NULL,
                language TEXT NOT NULL
            );
            CREATE INDEX guardian_household ON guardian(householdID);
            CREATE TABLE child (
                id TEXT PRIMARY KEY,
                firstName TEXT NOT NULL,
                lastName TEXT NOT NULL,
                groupID TEXT NOT NULL
            );
            CREATE TABLE childHousehold (
                childID TEXT NOT NULL REFERENCES child(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                PRIMARY KEY (childID, householdID)
            );
            CREATE INDEX childHousehold_household ON childHousehold(householdID);
            CREATE TABLE slot (
                id INTEGER PRIMARY KEY,
                teacherID TEXT NOT NULL,
                startsAt DATETIME NOT NULL,
                endsAt DATETIME NOT NULL,
                kind TEXT NOT NULL,
                place TEXT NOT NULL,
                active BOOLEAN NOT NULL DEFAULT 1,
                UNIQUE (teacherID, startsAt)
            );
            CREATE INDEX slot_start ON slot(startsAt);
            CREATE TABLE booking (
                id INTEGER PRIMARY KEY,
                slotID INTEGER NOT NULL REFERENCES slot(id),
                childID TEXT NOT NULL REFERENCES child(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id),
                scope TEXT NOT NULL,
                icsToken TEXT NOT NULL UNIQUE,
                createdAt DATETIME NOT NULL,
                cancelledAt DATETIME
            );
            -- The database itself guarantees a slot is never booked twice and a child (or, for separated
            -- parents booking apart, a child per household) has at most one active talk.
            CREATE UNIQUE INDEX booking_one_per_slot ON booking(slotID) WHERE cancelledAt IS NULL;
            CREATE UNIQUE INDEX booking_one_per_scope ON booking(scope) WHERE cancelledAt IS NULL;
            CREATE INDEX booking_household ON booking(householdID);
            CREATE INDEX booking_child ON booking(childID);
            CREATE TABLE bookingAttendee (
                bookingID INTEGER NOT NULL REFERENCES booking(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                PRIMARY KEY (bookingID, householdID)
            );
            CREATE INDEX bookingAttendee_household ON bookingAttendee(householdID);
            CREATE TABLE preTalkAnswer (
                childID TEXT NOT NULL REFERENCES child(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                question TEXT NOT NULL,
                answer TEXT NOT NULL,
                updatedAt DATETIME NOT NULL,
                PRIMARY KEY (childID, householdID, question)
            );
            CREATE TABLE contact (
                id INTEGER PRIMARY KEY,
                channel TEXT NOT NULL,
                address TEXT NOT NULL,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                language TEXT,
                session TEXT NOT NULL,
                stoppedAt DATETIME,
                createdAt DATETIME NOT NULL,
                UNIQUE (channel, address)
            );
            CREATE INDEX contact_household ON contact(householdID);
            CREATE TABLE inbox (
                id INTEGER PRIMARY KEY,
                channel TEXT NOT NULL,
                platformMessageID TEXT NOT NULL,
                contactID INTEGER REFERENCES contact(id) ON DELETE CASCADE,
                text TEXT,
                receivedAt DATETIME NOT NULL,
                UNIQUE (channel, platformMessageID)
            );
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                contactID INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                address TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending',
                createdAt DATETIME NOT NULL,
                sentAt DATETIME
            );
            CREATE INDEX outbox_address ON outbox(channel, address, id);
            CREATE INDEX outbox_pending ON outbox(status, id) WHERE status = 'pending';
            """),
        Migration("v2: delivery to messaging platforms", """
            ALTER TABLE contact ADD COLUMN unreachableAt DATETIME;
            ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN nextAttemptAt DATETIME;
            ALTER TABLE outbox ADD COLUMN lastError TEXT;
            ALTER TABLE outbox ADD COLUMN platformMessageID TEXT;
            CREATE INDEX outbox_due ON outbox(channel, id) WHERE status = 'pending';
            """),
        Migration("v3: inbox rows stored before they are processed", """
            ALTER TABLE inbox ADD COLUMN payload TEXT;
            ALTER TABLE inbox ADD COLUMN processedAt DATETIME;
            UPDATE inbox SET processedAt = receivedAt;
            CREATE INDEX inbox_unprocessed ON inbox(channel, id) WHERE processedAt IS NULL;
            """),
        Migration("v4: scheduled jobs; unprompted messages after replies", """
            CREATE TABLE job (
                id INTEGER PRIMARY KEY,
                -- What the job is about ("talk_reminder:42:7"); planning the same thing again updates it.
                key TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                householdID INTEGER REFERENCES household(id) ON DELETE CASCADE,
                reference TEXT NOT NULL DEFAULT '',
                dueAt DATETIME NOT NULL,
                -- After this the job no longer makes sense (no reminder after the talk): skipped, not sent late.
                expiresAt DATETIME NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending',
                finishedAt DATETIME,
                note TEXT
            );
            CREATE INDEX job_due ON job(dueAt) WHERE status = 'pending';
            CREATE INDEX job_household ON job(householdID, kind) WHERE status = 'pending';
            ALTER TABLE outbox ADD COLUMN unprompted BOOLEAN NOT NULL DEFAULT 0;
            DROP INDEX outbox_due;
            CREATE INDEX outbox_due ON outbox(channel, unprompted, id) WHERE status = 'pending';
            CREATE INDEX outbox_unprompted ON outbox(contactID, createdAt) WHERE unprompted;
            """),
        // SQLite cannot relax a NOT NULL column in place: the contact table is rebuilt (SQLite's documented
        // procedure; foreign keys are checked when the migration commits); PostgreSQL alters it in place.
        // A contact is a household's or a teacher's.
        Migration("v5: teachers' chat accounts", """
            CREATE TABLE staffInvite (
                teacherID TEXT PRIMARY KEY,
                inviteCode TEXT NOT NULL UNIQUE,
                createdAt DATETIME NOT NULL
            );
            CREATE TABLE newContact (
                id INTEGER PRIMARY KEY,
                channel TEXT NOT NULL,
                address TEXT NOT NULL,
                householdID INTEGER REFERENCES household(id) ON DELETE CASCADE,
                teacherID TEXT,
                language TEXT,
                session TEXT NOT NULL,
                stoppedAt DATETIME,
                createdAt DATETIME NOT NULL,
                unreachableAt DATETIME,
                UNIQUE (channel, address),
                CHECK ((householdID IS NULL) <> (teacherID IS NULL))
            );
            INSERT INTO newContact (id, channel, address, householdID, language, session, stoppedAt, createdAt, unreachableAt)
                SELECT id, channel, address, householdID, language, session, stoppedAt, createdAt, unreachableAt FROM contact;
            DROP TABLE contact;
            ALTER TABLE newContact RENAME TO contact;
            CREATE INDEX contact_household ON contact(householdID);
            CREATE INDEX contact_teacher ON contact(teacherID) WHERE teacherID IS NOT NULL;
            """, postgres: """
            CREATE TABLE staffInvite (
                teacherID TEXT PRIMARY KEY,
                inviteCode TEXT NOT NULL UNIQUE,
                createdAt TIMESTAMPTZ NOT NULL
            );
            ALTER TABLE contact ALTER COLUMN householdID DROP NOT NULL;
            ALTER TABLE contact ADD COLUMN teacherID TEXT;
            ALTER TABLE contact ADD CHECK ((householdID IS NULL) <> (teacherID IS NULL));
            CREATE INDEX contact_teacher ON contact(teacherID) WHERE teacherID IS NOT NULL;
            """),
        Migration("v6: communicatieplan: agreements, parents' answers, follow-ups, check-ins", """
            CREATE TABLE agreement (
                id INTEGER PRIMARY KEY,
                childID TEXT NOT NULL REFERENCES child(id) ON DELETE CASCADE,
                teacherID TEXT NOT NULL,
                who TEXT NOT NULL,
                what TEXT NOT NULL,
                why TEXT NOT NULL,
                -- "week after report1; early june": AgreedMoments' canonical text, resolved on the school calendar.
                moments TEXT NOT NULL,
                how TEXT NOT NULL,
                checkIn TEXT,
                isEvaluation BOOLEAN NOT NULL DEFAULT 0,
                createdAt DATETIME NOT NULL,
                updatedAt DATETIME NOT NULL,
                cancelledAt DATETIME
            );
            CREATE INDEX agreement_child ON agreement(childID);
            CREATE INDEX agreement_teacher ON agreement(teacherID);
            -- "Klopt" / "klopt niet" per household, for the version of the agreement it saw.
            CREATE TABLE agreementResponse (
                agreementID INTEGER NOT NULL REFERENCES agreement(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                matches BOOLEAN NOT NULL,
                comment TEXT,
                at DATETIME NOT NULL,
                PRIMARY KEY (agreementID, householdID)
            );
            -- One agreed moment the teacher acts on: open until done, or moved to another day.
            CREATE TABLE followUp (
                id INTEGER PRIMARY KEY,
                agreementID INTEGER NOT NULL REFERENCES agreement(id) ON DELETE CASCADE,
                day TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open',
                finishedAt DATETIME,
                UNIQUE (agreementID, day)
            );
            CREATE INDEX followUp_open ON followUp(day) WHERE status = 'open';
            CREATE TABLE checkInAnswer (
                id INTEGER PRIMARY KEY,
                agreementID INTEGER NOT NULL REFERENCES agreement(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                day TEXT NOT NULL,
                answer TEXT NOT NULL,
                comment TEXT,
                at DATETIME NOT NULL,
                UNIQUE (agreementID, householdID, day)
            );
            """),
        Migration("v7: nieuwjaarsreceptie", """
            -- The receptions as last read from the school file: a change of time or place is noticed at start.
            CREATE TABLE reception (
                id TEXT PRIMARY KEY,
                groupID TEXT NOT NULL,
                startsAt DATETIME NOT NULL,
                endsAt DATETIME NOT NULL,
                place TEXT NOT NULL,
                note TEXT,
                icsToken TEXT NOT NULL UNIQUE,
                cancelledAt DATETIME
            );
            CREATE TABLE receptionAnswer (
                receptionID TEXT NOT NULL REFERENCES reception(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                answer TEXT NOT NULL,
                people INTEGER NOT NULL DEFAULT 0,
                at DATETIME NOT NULL,
                PRIMARY KEY (receptionID, householdID)
            );
            -- Asked after the reception: would the parents like a buddy, or be one? Kept for the school (and the
            -- buddy feature) to follow up.
            CREATE TABLE buddyInterest (
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                interest TEXT NOT NULL,
                source TEXT NOT NULL,
                at DATETIME NOT NULL,
                PRIMARY KEY (householdID, source)
            );
            """),
        // 'file': from the school file (dropped there → cancelled at the next start); 'staff': from the CLI or API.
        Migration("v8: receptions planned by staff", "ALTER TABLE reception ADD COLUMN source TEXT NOT NULL DEFAULT 'file'"),
        Migration("v9: staff accounts and their sessions", """
            CREATE TABLE staffAccount (
                id INTEGER PRIMARY KEY,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                name TEXT NOT NULL,
                -- office (everything), teacher (own groups), care (buddies and agreements)
                role TEXT NOT NULL CHECK (role IN ('office', 'teacher', 'care')),
                teacherID TEXT,
                passwordHash TEXT NOT NULL,
                createdAt DATETIME NOT NULL
            );
            -- Only a hash of each session's cookie is stored: a copy of the database opens no session.
            CREATE TABLE staffSession (
                tokenHash TEXT PRIMARY KEY,
                accountID INTEGER NOT NULL REFERENCES staffAccount(id) ON DELETE CASCADE,
                createdAt DATETIME NOT NULL,
                expiresAt DATETIME NOT NULL
            );
            """, postgres: """
            CREATE TABLE staffAccount (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                email TEXT NOT NULL,
                name TEXT NOT NULL,
                -- office (everything), teacher (own groups), care (buddies and agreements)
                role TEXT NOT NULL CHECK (role IN ('office', 'teacher', 'care')),
                teacherID TEXT,
                passwordHash TEXT NOT NULL,
                createdAt TIMESTAMPTZ NOT NULL
            );
            -- Only a hash of each session's cookie is stored: a copy of the database opens no session.
            CREATE TABLE staffSession (
                tokenHash TEXT PRIMARY KEY,
                accountID BIGINT NOT NULL REFERENCES staffAccount(id) ON DELETE CASCADE,
                createdAt TIMESTAMPTZ NOT NULL,
                expiresAt TIMESTAMPTZ NOT NULL
            );
            -- Unique whatever the case, as SQLite's NOCASE column is.
            CREATE UNIQUE INDEX staffAccount_email ON staffAccount (lower(email));
            """),
        Migration("v10: audit log", """
            -- Who looked at or changed which family's data, and when (AVG: staff access is accountable).
            CREATE TABLE auditLog (
                id INTEGER PRIMARY KEY,
                at DATETIME NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL DEFAULT ''
            );
            """),
        // The secret in a teacher's private calendar feed URL; deleting the row revokes it.
        Migration("v11: teachers' calendar feeds", """
            CREATE TABLE calendarFeed (
                teacherID TEXT PRIMARY KEY,
                token TEXT NOT NULL UNIQUE,
                createdAt DATETIME NOT NULL
            );
            """),
        // The daily purge finds the messages older than the retention period through these, in small batches,
        // instead of scanning the whole inbox and outbox while it holds the writer.
        Migration("v12: retention: messages by age", """
            CREATE INDEX inbox_received ON inbox(receivedAt);
            CREATE INDEX outbox_created ON outbox(createdAt);
            """),
        // What each household said of each block, its wish for early or late, the planner's proposal per round
        // (staff may pin talks before publishing), and how each household fared, kept over the years for fairness.
        Migration("v13: fair planning round", """
            CREATE TABLE blockPreference (
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                block TEXT NOT NULL,
                suitability TEXT NOT NULL CHECK (suitability IN ('good', 'possible', 'not_possible')),
                updatedAt DATETIME NOT NULL,
                PRIMARY KEY (householdID, block)
            );
            CREATE TABLE timeWish (
                householdID INTEGER PRIMARY KEY REFERENCES household(id) ON DELETE CASCADE,
                wish TEXT NOT NULL CHECK (wish IN ('none', 'early', 'late')),
                updatedAt DATETIME NOT NULL
            );
            CREATE TABLE planningRound (
                id TEXT PRIMARY KEY,
                plannedAt DATETIME NOT NULL,
                publishedAt DATETIME
            );
            CREATE TABLE plannedTalk (
                roundID TEXT NOT NULL REFERENCES planningRound(id) ON DELETE CASCADE,
                scope TEXT NOT NULL,
                childID TEXT NOT NULL REFERENCES child(id) ON DELETE CASCADE,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                slotID INTEGER REFERENCES slot(id),
                level TEXT CHECK (level IN ('good', 'possible')),
                reason TEXT,
                pinned BOOLEAN NOT NULL DEFAULT 0,
                PRIMARY KEY (roundID, scope),
                CHECK ((slotID IS NULL) = (reason IS NOT NULL))
            );
            -- A proposal never gives one talk time twice.
            CREATE UNIQUE INDEX plannedTalk_one_per_slot ON plannedTalk(roundID, slotID) WHERE slotID IS NOT NULL;
            CREATE TABLE roundOutcome (
                roundID TEXT NOT NULL,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                outcome TEXT NOT NULL CHECK (outcome IN ('good', 'possible', 'unanswered', 'unplaced')),
                PRIMARY KEY (roundID, householdID)
            );
            """),
        Migration("v14: WhatsApp: the 24-hour window, templates, delivery receipts", """
            -- When the person last wrote to us, on any channel: WhatsApp lets a business write freely only within
            -- 24 hours of it, and otherwise only with an approved template.
            ALTER TABLE contact ADD COLUMN lastInboundAt DATETIME;
            -- Set when the platform said the message must go as a template (WhatsApp's 131047 in a status callback);
            -- the template's name once it went as one.
            ALTER TABLE outbox ADD COLUMN templateRequired BOOLEAN NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN sentAsTemplate TEXT;
            -- What the platform last reported of a sent message (delivered, read) and when.
            ALTER TABLE outbox ADD COLUMN receipt TEXT;
            ALTER TABLE outbox ADD COLUMN receiptAt DATETIME;
            -- Status callbacks name the message by the platform's id.
            CREATE INDEX outbox_platform_message ON outbox(channel, platformMessageID) WHERE platformMessageID IS NOT NULL;
            """),
        Migration("v15: buddies: volunteers, requests, introductions with both consents", """
            -- A parent who offered to be a buddy: the languages they speak and the situations they can help with
            -- (comma-separated codes), how many parents they can support at once, and whether they paused.
            CREATE TABLE buddyVolunteer (
                householdID INTEGER PRIMARY KEY REFERENCES household(id) ON DELETE CASCADE,
                languages TEXT NOT NULL CHECK (languages <> ''),
                situations TEXT NOT NULL CHECK (situations <> ''),
                capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 5),
                pausedAt DATETIME,
                createdAt DATETIME NOT NULL
            );
            -- A parent asking for a buddy ("parent"), or flagged by a teacher ("teacher:<id>") or staff ("staff:<user>"),
            -- which the parent must then accept (acceptedAt) before anyone is asked. Closed when paired or withdrawn;
            -- `unmatched` says why nobody could be proposed at the last try.
            CREATE TABLE buddyNeed (
                id INTEGER PRIMARY KEY,
                householdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                situation TEXT NOT NULL,
                source TEXT NOT NULL,
                createdAt DATETIME NOT NULL,
                acceptedAt DATETIME,
                closedAt DATETIME,
                unmatched TEXT
            );
            CREATE UNIQUE INDEX buddyNeed_one_open ON buddyNeed(householdID) WHERE closedAt IS NULL;
            -- Two parents asked separately whether they want to be introduced. The database refuses a pairing
            -- without both consents, and a parent paired with themselves.
            CREATE TABLE buddyIntroduction (
                id INTEGER PRIMARY KEY,
                needID INTEGER NOT NULL REFERENCES buddyNeed(id) ON DELETE CASCADE,
                parentID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                buddyID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                askedAt DATETIME NOT NULL,
                parentConsentAt DATETIME,
                buddyConsentAt DATETIME,
                state TEXT NOT NULL CHECK (state IN ('asking', 'paired', 'declined', 'expired', 'ended')),
                endedAt DATETIME,
                -- Each chose to give the other their phone number (passed on only once both chose so).
                parentSharesContact BOOLEAN NOT NULL DEFAULT 0,
                buddySharesContact BOOLEAN NOT NULL DEFAULT 0,
                -- Each one's answer to the check-in two weeks after pairing: good or poor.
                parentCheckIn TEXT,
                buddyCheckIn TEXT,
                CHECK (parentID <> buddyID),
                CHECK (state NOT IN ('paired', 'ended') OR (parentConsentAt IS NOT NULL AND buddyConsentAt IS NOT NULL))
            );
            CREATE UNIQUE INDEX buddyIntroduction_one_open ON buddyIntroduction(needID) WHERE state IN ('asking', 'paired');
            CREATE INDEX buddyIntroduction_parent ON buddyIntroduction(parentID);
            CREATE INDEX buddyIntroduction_buddy ON buddyIntroduction(buddyID);
            """),
        Migration("v16: buddy messages waiting for their translation", """
            -- A message one buddy wrote to the other while a translation provider is configured: kept here only
            -- until it is translated (or the provider gave up) and queued for the other, outside the step.
            CREATE TABLE buddyMessage (
                id INTEGER PRIMARY KEY,
                introductionID INTEGER NOT NULL REFERENCES buddyIntroduction(id) ON DELETE CASCADE,
                fromHouseholdID INTEGER NOT NULL REFERENCES household(id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                text TEXT NOT NULL,
                createdAt DATETIME NOT NULL
            );
            """),
        Migration("v17: agreements translated for the parents", """
            -- What a teacher wrote in an agreement (what, why, the check-in question), translated into a language one
            -- of the child's households reads; all NULL with failed = 1 when the provider could not (tried again later).
            CREATE TABLE agreementTranslation (
                agreementID INTEGER NOT NULL REFERENCES agreement(id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                what TEXT,
                why TEXT,
                question TEXT,
                failed BOOLEAN NOT NULL DEFAULT 0,
                createdAt DATETIME NOT NULL,
                PRIMARY KEY (agreementID, language)
            );
            """),
        Migration("v18: Matrix: the sync position", """
            -- Where a long-polling channel goes on after a restart (Matrix's next_batch token), written in the same
            -- commit as the batch it follows, so a batch is never skipped nor stored twice.
            CREATE TABLE syncPosition (
                channel TEXT PRIMARY KEY,
                position TEXT NOT NULL,
                updatedAt DATETIME NOT NULL
            );
            """),
        Migration("v19: Matrix: end-to-end encryption", """
            -- The bot's Matrix device (Olm account). Every pickle in these tables is libolm's own encrypted
            -- serialisation, under a key derived from the school's pickle key: unreadable without it.
            CREATE TABLE matrixCryptoAccount (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                userID TEXT NOT NULL,
                deviceID TEXT NOT NULL,
                pickle TEXT NOT NULL,
                updatedAt DATETIME NOT NULL
            );
            -- Olm sessions with other devices (to-device messages: room keys), by the other device's curve25519 key.
            CREATE TABLE matrixOlmSession (
                sessionID TEXT PRIMARY KEY,
                senderKey TEXT NOT NULL,
                pickle TEXT NOT NULL,
                lastUsedAt DATETIME NOT NULL
            );
            CREATE INDEX matrixOlmSessionBySenderKey ON matrixOlmSession (senderKey, lastUsedAt);
            -- Megolm keys others shared with us, to read a room's messages; only that user's messages are read with it.
            CREATE TABLE matrixInboundGroupSession (
                roomID TEXT NOT NULL,
                sessionID TEXT NOT NULL,
                senderKey TEXT NOT NULL,
                senderUserID TEXT NOT NULL,
                pickle TEXT NOT NULL,
                createdAt DATETIME NOT NULL,
                PRIMARY KEY (roomID, sessionID)
            );
            -- Which event each Megolm message index was read from: the same index again in another event is a replay.
            CREATE TABLE matrixMegolmIndex (
                roomID TEXT NOT NULL,
                sessionID TEXT NOT NULL,
                messageIndex INTEGER NOT NULL,
                eventID TEXT NOT NULL,
                PRIMARY KEY (roomID, sessionID, messageIndex)
            );
            -- Our Megolm session per encrypted room, and the devices ("user device curve25519" lines) holding its key.
            CREATE TABLE matrixOutboundGroupSession (
                roomID TEXT PRIMARY KEY,
                sessionID TEXT NOT NULL,
                pickle TEXT NOT NULL,
                sharedWith TEXT NOT NULL,
                messageCount INTEGER NOT NULL,
                createdAt DATETIME NOT NULL
            );
            -- A room's m.room.encryption state; algorithm NULL: the room is known to be unencrypted.
            CREATE TABLE matrixRoomEncryption (
                roomID TEXT PRIMARY KEY,
                algorithm TEXT,
                rotationPeriodMS INTEGER,
                rotationPeriodMessages INTEGER,
                updatedAt DATETIME NOT NULL
            );
            -- The device list cache (/keys/query): a user's devices, queried again when /sync says they changed.
            CREATE TABLE matrixDeviceList (
                userID TEXT PRIMARY KEY,
                outdated BOOLEAN NOT NULL,
                updatedAt DATETIME NOT NULL
            );
            CREATE TABLE matrixDevice (
                userID TEXT NOT NULL REFERENCES matrixDeviceList (userID) ON DELETE CASCADE,
                deviceID TEXT NOT NULL,
                curve25519 TEXT NOT NULL,
                ed25519 TEXT NOT NULL,
                PRIMARY KEY (userID, deviceID)
            );
            -- Encrypted room events whose key has not arrived yet, kept (still encrypted) until it does.
            CREATE TABLE matrixPendingEvent (
                eventID TEXT PRIMARY KEY,
                roomID TEXT NOT NULL,
                sessionID TEXT NOT NULL,
                event TEXT NOT NULL,
                receivedAt DATETIME NOT NULL
            );
            CREATE INDEX matrixPendingEventBySession ON matrixPendingEvent (roomID, sessionID);
            """),
        Migration("v20: delivery reports that came before their message was recorded", """
            -- A platform may report on a message (WhatsApp's and Twilio's status callbacks) before the sender has
            -- recorded the id the platform gave it; the report waits here and is applied when the id is recorded.
            CREATE TABLE earlyDeliveryReport (
                channel TEXT NOT NULL,
                platformMessageID TEXT NOT NULL,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                receivedAt DATETIME NOT NULL,
                PRIMARY KEY (channel, platformMessageID, kind, detail)
            );
            CREATE INDEX earlyDeliveryReport_received ON earlyDeliveryReport(receivedAt);
            """),
        Migration("v21: who is sending a message, for daemons sharing one database", """
            -- The instance (Leases.instance) that claimed a message for sending: when it dies mid-send, another one
            -- settles the message; a live one is left to finish.
            ALTER TABLE outbox ADD COLUMN claimedBy TEXT;
            """),
        Migration("v22: indexes for a step's own lookups", """
            -- A household that becomes reachable has its groups' receptions replanned: their households by group.
            CREATE INDEX child_group ON child(groupID);
            -- Whether anything still waits for a chat, asked at every step that may send its reply at once: only the
            -- unsent rows, not the chat's whole history.
            CREATE INDEX outbox_unsent ON outbox(channel, address) WHERE status IN ('pending', 'sending');
            """),
    ]
}
