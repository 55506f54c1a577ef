import Foundation
import Hummingbird
import HummingbirdTesting

/// The staff pages as a browser uses them in the tests: the login form, the session cookie it sets, and pages read
/// and forms posted with that cookie.
public struct StaffLoginRefused: Error, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public var description: String { "the staff login answered \(status), not 303 with a session cookie" }
}

/// The session cookie ("name=value") a login response sets.
public func sessionCookie(of response: TestResponse) throws -> String {
    guard response.status == .seeOther, let header = response.headers[.setCookie], let cookie = header.split(separator: ";").first else {
        throw StaffLoginRefused(status: response.status)
    }
    return String(cookie)
}

extension TestClientProtocol {
    /// Posts the login form; the answer is the page's (303 with a cookie when right, the form again when wrong).
    public func postStaffLogin(_ email: String, _ password: String) async throws -> TestResponse {
        try await execute(uri: "/staff/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                          body: ByteBuffer(string: "email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password)"))
    }

    /// Logs in and returns the session cookie to send with the next requests; throws when the login is refused.
    public func staffSession(_ email: String, _ password: String) async throws -> String {
        try sessionCookie(of: try await postStaffLogin(email, password))
    }

    public func staffGet(_ uri: String, _ cookie: String) async throws -> (status: HTTPResponse.Status, html: String) {
        let response = try await execute(uri: uri, method: .get, headers: [.cookie: cookie])
        return (response.status, String(buffer: response.body))
    }

    public func staffPost(_ uri: String, _ form: String, _ cookie: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie], body: ByteBuffer(string: form))
    }
}
