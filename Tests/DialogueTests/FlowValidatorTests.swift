import DataFiles
import Testing
@testable import Dialogue

@Suite struct FlowValidatorTests {
    let host = HostCatalog(actions: ["book": ["ok", "taken"]], optionSources: ["days"], variables: [])

    func issues(_ yaml: String) throws -> [FileIssue] {
        let file = try YAMLFile(path: "conversations/test.yaml", text: yaml)
        let flow = try #require(Flow.parse(file))
        #expect(file.issues.isEmpty)
        let set = FlowSet(flows: [flow], entry: "test", idle: "test", commands: [:])
        return FlowValidator.validate(set, host: host) { $0 != "missing.key" }
    }

    @Test func aStepThatPointsNowhereIsReportedWithItsLine() throws {
        let found = try issues("""
            flow: test
            start: a
            steps:
              a:
                say: hello
                next: nowhere
            """)
        #expect(found.contains { $0.line == 4 && $0.message.contains("'nowhere'") })
    }

    @Test func unknownKeysActionsAndUnhandledOutcomesAreReported() throws {
        let found = try issues("""
            flow: test
            start: a
            steps:
              a:
                say: missing.key
                next: b
              b:
                do: book
                on: { ok: end }
            """)
        #expect(found.contains { $0.message.contains("'missing.key'") })
        #expect(found.contains { $0.line == 7 && $0.message.contains("'taken'") })
    }

    @Test func aFlowThatCanDeadEndIsReported() throws {
        let found = try issues("""
            flow: test
            start: a
            steps:
              a:
                ask: question
                choices:
                  - { id: x, label: x, next: b }
              b:
                ask: question
                choices:
                  - { id: y, label: y, next: a }
            """)
        #expect(found.contains { $0.message.contains("dead-end") })
    }

    @Test func loopsWithoutAQuestionAreReported() throws {
        let found = try issues("""
            flow: test
            start: a
            steps:
              a: { say: hello, next: b }
              b: { say: hello, next: a }
            """)
        #expect(found.contains { $0.message.contains("loop") })
    }
}
