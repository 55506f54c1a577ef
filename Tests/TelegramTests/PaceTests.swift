@testable import ChannelKit
import Testing

/// The overall limit of a channel's sender (Telegram's 30 messages per second): never more than that in any second,
/// but a batch of replies goes at once when the last second had room for it. Each send is given its moment and does
/// not start before it; the moments are what is checked (a busy machine may start a send later, never sooner).
@Suite struct PaceTests {
    @Test func neverMoreThanTheLimitInAnySecond() async {
        let clock = ContinuousClock()
        let pace = Pace(perSecond: 10)
        var moments: [ContinuousClock.Instant] = []
        for _ in 0..<25 {
            let moment = await pace.next()
            #expect(clock.now >= moment)
            moments.append(moment)
        }
        #expect(moments[9] - moments[0] < .milliseconds(500), "the first ten go at once")
        for index in 10..<moments.count {
            #expect(moments[index] - moments[index - 10] >= .seconds(1), "send \(index) came within a second of the ten before it")
        }
    }

    @Test func lanesSharingItKeepTheLimitTogether() async {
        let pace = Pace(perSecond: 10)
        let moments = await withTaskGroup(of: [ContinuousClock.Instant].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    var moments: [ContinuousClock.Instant] = []
                    for _ in 0..<7 { moments.append(await pace.next()) }
                    return moments
                }
            }
            return await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        for index in 10..<moments.count {
            #expect(moments[index] - moments[index - 10] >= .seconds(1), "send \(index) came within a second of the ten before it")
        }
    }

    @Test func aRateLimitPausesEverySend() async {
        let clock = ContinuousClock()
        let pace = Pace(perSecond: 1000)
        let start = clock.now
        pace.pause(until: start + .milliseconds(300))
        #expect(pace.isPaused, "replies are then left to the lanes rather than claimed by a step")
        await pace.next()
        #expect(clock.now - start >= .milliseconds(300))
        #expect(!pace.isPaused)
    }

    @Test func daemonsSharingABotEachKeepToTheirPart() async {
        let pace = Pace(perSecond: 10)
        pace.share(among: 3)
        #expect(pace.limit == 3, "rounded down: together nine, within ten")
        var moments: [ContinuousClock.Instant] = []
        for _ in 0..<6 { moments.append(await pace.next()) }
        for index in 3..<moments.count {
            #expect(moments[index] - moments[index - 3] >= .seconds(1), "send \(index) came within a second of the three before it")
        }
        // The other daemons are gone: the whole limit again, the last sends still counting against it.
        pace.share(among: 1)
        #expect(pace.limit == 10)
        for _ in 0..<8 { moments.append(await pace.next()) }
        for index in 10..<moments.count {
            #expect(moments[index] - moments[index - 10] >= .seconds(1), "send \(index) came within a second of the ten before it")
        }
        pace.share(among: 50)
        #expect(pace.limit == 1, "at least one a second each")
    }
}
