import Foundation
import Logging

/// The one loop that runs scheduled jobs: it sleeps until the next pending job is due (read from the index, not
/// by scanning), or until a step plans one that may be sooner, then runs what is due in batches.
public struct JobScheduler: Sendable {
    let service: ConversationService
    let logger: Logger
    /// Jobs run in one transaction.
    let batchSize: Int
    /// Longest sleep, so a changed clock (a suspended machine waking up) is noticed.
    let longestSleep: Duration

    public init(service: ConversationService, logger: Logger, batchSize: Int = 1000, longestSleep: Duration = .seconds(60)) {
        self.service = service
        self.logger = logger
        self.batchSize = batchSize
        self.longestSleep = longestSleep
    }

    /// Runs until the task is cancelled.
    public func run() async {
        // Tried again after a failure that may pass (another daemon planning the same jobs at the same moment).
        for attempt in 1...3 where !Task.isCancelled {
            do {
                try await service.planSchoolJobs()
                break
            } catch {
                logger.error("could not plan the school's jobs", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
        while !Task.isCancelled {
            let seen = await service.wakeups.version(Wakeups.jobsKey)
            var sleep = longestSleep
            do {
                let report = try await service.runDueJobs(limit: batchSize)
                if report.done + report.skipped + report.postponed > 0 {
                    logger.info("scheduled jobs ran", metadata: ["done": "\(report.done)", "skipped": "\(report.skipped)", "postponed": "\(report.postponed)"])
                }
                if report.done + report.skipped + report.postponed == batchSize { continue }  // more are due
                if let next = try await service.nextJobDue() {
                    let seconds = max(0, next.timeIntervalSince(service.clock.now()))
                    // Due, yet none was taken: another daemon on the database is running them. Look again in a while.
                    let takenElsewhere = seconds == 0 && report.done + report.skipped + report.postponed == 0
                    sleep = min(sleep, takenElsewhere ? .seconds(1) : .milliseconds(Int64(seconds * 1000) + 1))
                }
            } catch {
                if Task.isCancelled { return }
                logger.error("running scheduled jobs failed", metadata: ["error": "\(error)"])
            }
            await service.wakeups.wait(Wakeups.jobsKey, after: seen, timeout: sleep)
        }
    }
}
