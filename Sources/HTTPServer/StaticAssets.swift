import Foundation
import Hummingbird

/// The web chat's HTML, CSS and JavaScript and the staff pages' CSS, read once from the bundle at start-up.
public struct StaticAssets: Sendable {
    let files: [String: (type: String, data: Data)]

    public static func fromBundle() throws -> StaticAssets {
        var files: [String: (type: String, data: Data)] = [:]
        for (name, type) in [("chat.html", "text/html; charset=utf-8"), ("chat.css", "text/css; charset=utf-8"), ("chat.js", "text/javascript; charset=utf-8"),
                           ("staff.css", "text/css; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Public") else {
                throw ChatError(.internalServerError, "web chat asset \(name) is missing from the build")
            }
            files[name] = (type, try Data(contentsOf: url))
        }
        return StaticAssets(files: files)
    }

    func response(_ name: String) -> Response {
        guard let file = files[name] else { return Response(status: .notFound) }
        return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/static/:file") { _, context in
            guard let name = context.parameters.get("file"), name != "chat.html" else { return Response(status: .notFound) }
            return response(name)
        }
    }
}
