import Conversations
import Hummingbird

/// All routes of the daemon.
/// `staffToken` opens the staff JSON API (`nil`: it answers 503). `operations` serves /healthz and /metrics.
public func buildRouter(service: ConversationService, assets: StaticAssets, pollTimeout: Duration = .seconds(25),
                        staffToken: String? = nil, staffPages: StaffPages? = nil, operations: OperationsController) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    operations.addRoutes(to: router)
    router.get("/") { _, _ in "Samenspraak is running. Parents: please open the link from your invitation letter." }
    WebChatController(service: service, assets: assets, pollTimeout: pollTimeout).addRoutes(to: router)
    assets.addRoutes(to: router)
    CalendarController(service: service).addRoutes(to: router)
    TeacherFeedController(service: service).addRoutes(to: router)
    StaffAPIController(service: service, token: staffToken).addRoutes(to: router)
    staffPages?.addRoutes(to: router)
    return router
}
