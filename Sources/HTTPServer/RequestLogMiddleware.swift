import Hummingbird
import Logging
import SamenspraakCore

/// One log line per request, on the request's logger (so with Hummingbird's `hb.request.id`, which the web chat
/// also hands to the conversation step): method, the matched route's pattern, status and duration. Never the path
/// itself: it holds invite codes and calendar tokens. Debug level, because long polls and health checks are many.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, started: started)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, started: started)
            throw error
        }
    }

    func log(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        context.logger.log(level: status >= 500 ? .error : .debug, "request", metadata: [
            "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "(none)")", "status": "\(status)",
            "ms": "\((ContinuousClock.now - started).inMilliseconds)",
        ])
    }
}
