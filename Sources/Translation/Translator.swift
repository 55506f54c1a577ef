import Logging
import SamenspraakCore

/// What the daemon calls to translate a free text for a parent. It never throws and never waits longer than its
/// deadline: a failure comes back as the original text with the reason, so the message can go out untranslated.
/// Translations are kept in a bounded cache; the same text asked for by several conversations at once is sent to the
/// provider once. Logs name the provider, the languages, the outcome and the duration, never the text or the key.
public actor Translator {
    public static let defaultDeadline: Duration = .seconds(2)
    public static let defaultCacheSize = 5_000

    public nonisolated let providerName: String
    public nonisolated let deadline: Duration
    private let provider: any TranslationProvider
    private let logger: Logger
    private var cache: LRUCache<Request, String>
    private var pending: [Request: PendingCall] = [:]
    private var nextID: UInt64 = 0

    /// What a translation depends on, and so what it is cached by.
    struct Request: Hashable, Sendable {
        let source: String?
        let target: String
        let text: String
    }

    /// One provider call shared by everyone waiting for the same request; cancelled when the last of them gives up,
    /// since nobody would read its answer.
    private struct PendingCall {
        let id: UInt64
        let task: Task<Void, Never>
        var waiters: [UInt64: CheckedContinuation<Result<String, TranslationFailure>, Never>] = [:]
    }

    public init(provider: any TranslationProvider, deadline: Duration = Translator.defaultDeadline, cacheSize: Int = Translator.defaultCacheSize,
                logger: Logger) {
        self.provider = provider
        self.providerName = provider.name
        self.deadline = deadline
        self.cache = LRUCache(capacity: cacheSize)
        self.logger = logger
    }

    /// `source` nil: the provider detects the language. Codes such as "nl", "fa-IR" or "EN" are compared by language.
    public func translate(_ text: String, from source: String?, to target: String) async -> Translation {
        guard text.contains(where: { !$0.isWhitespace }) else { return .unchanged(text) }
        let request = Request(source: source.map(Self.language), target: Self.language(target), text: text)
        guard request.source != request.target else { return .unchanged(text) }
        let started = ContinuousClock.now
        if let cached = cache.value(for: request) {
            log(request, outcome: "cached", since: started)
            return Translation(original: text, translated: cached, failure: nil)
        }
        switch await answer(to: request) {
        case .success(let translated):
            log(request, outcome: "translated", since: started)
            return Translation(original: text, translated: translated, failure: nil)
        case .failure(let failure):
            log(request, outcome: failure.kind, since: started, failure: failure)
            return .failed(text, failure)
        }
    }

    /// The language of a code, lowercase and without its region or script: "fa-IR" → "fa".
    static func language(_ code: String) -> String {
        String(code.trimmingPrefix(while: \.isWhitespace).prefix { $0 != "-" && $0 != "_" && !$0.isWhitespace }).lowercased()
    }

    /// Waits for the provider's answer, joining a call under way for the same request, or for the deadline.
    private func answer(to request: Request) async -> Result<String, TranslationFailure> {
        let call = pending[request] ?? startCall(for: request)
        nextID += 1
        let waiter = nextID
        let timer = Task { [deadline] in
            guard (try? await Task.sleep(for: deadline)) != nil else { return }
            self.giveUp(waiter, on: request, call: call.id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            pending[request]?.waiters[waiter] = continuation
        }
    }

    private func startCall(for request: Request) -> PendingCall {
        nextID += 1
        let id = nextID
        let task = Task { [provider] in
            let result: Result<String, TranslationFailure>
            do {
                result = .success(try await provider.translate(request.text, from: request.source, to: request.target))
            } catch let failure as TranslationFailure {
                result = .failure(failure)
            } catch {
                result = .failure(.unavailable("\(type(of: error))"))
            }
            self.finish(call: id, for: request, with: result)
        }
        let call = PendingCall(id: id, task: task)
        pending[request] = call
        return call
    }

    private func finish(call id: UInt64, for request: Request, with result: Result<String, TranslationFailure>) {
        guard let call = pending[request], call.id == id else { return }
        pending[request] = nil
        if case .success(let translated) = result { cache.insert(translated, for: request) }
        for waiter in call.waiters.values { waiter.resume(returning: result) }
    }

    private func giveUp(_ waiter: UInt64, on request: Request, call id: UInt64) {
        guard pending[request]?.id == id, let continuation = pending[request]?.waiters.removeValue(forKey: waiter) else { return }
        continuation.resume(returning: .failure(.timedOut))
        if let call = pending[request], call.waiters.isEmpty {
            pending[request] = nil
            call.task.cancel()
        }
    }

    private func log(_ request: Request, outcome: String, since started: ContinuousClock.Instant, failure: TranslationFailure? = nil) {
        var metadata: Logger.Metadata = ["provider": "\(providerName)", "from": "\(request.source ?? "auto")", "to": "\(request.target)",
                                         "outcome": "\(outcome)", "ms": "\((ContinuousClock.now - started).wholeMilliseconds)"]
        guard let failure else { return logger.debug("translation", metadata: metadata) }
        metadata["reason"] = "\(failure)"
        // A language the provider lacks is no incident: it will be so for every message in that language.
        if case .unsupportedLanguage = failure { logger.debug("translation", metadata: metadata) } else { logger.warning("translation failed", metadata: metadata) }
    }
}
