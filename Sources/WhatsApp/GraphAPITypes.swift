/// The parts of the WhatsApp Cloud API (Meta's Graph API) Samenspraak reads and writes. Webhook payloads follow
/// https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components; unknown fields are ignored.

/// One POST to the webhook: `{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages", "value": …}]}]}`.
public struct WebhookPayload: Decodable, Sendable {
    public var object: String
    public var entry: [Entry]

    public struct Entry: Decodable, Sendable {
        public var id: String?
        public var changes: [Change]
    }

    public struct Change: Decodable, Sendable {
        public var field: String
        public var value: Value
    }

    public struct Value: Decodable, Sendable {
        public var metadata: Metadata?
        public var messages: [InboundMessage]?
        public var statuses: [MessageStatus]?
    }

    public struct Metadata: Decodable, Sendable {
        public var displayPhoneNumber: String?
        public var phoneNumberID: String?
        enum CodingKeys: String, CodingKey { case displayPhoneNumber = "display_phone_number", phoneNumberID = "phone_number_id" }
    }
}

/// A message a person sent: `type` says which of the fields is present (text, interactive, button, image, location…).
public struct InboundMessage: Decodable, Sendable {
    /// The sender's WhatsApp id (their phone number in international form, digits only). Never logged.
    public var from: String
    /// "wamid.…": the same id comes again when Meta delivers the webhook a second time.
    public var id: String
    public var timestamp: String?
    public var type: String
    public var text: Text?
    public var interactive: Interactive?
    /// A quick-reply button of a template message.
    public var button: TemplateButton?

    public struct Text: Decodable, Sendable {
        public var body: String
    }

    /// An answer to an interactive message: `button_reply` (reply buttons) or `list_reply` (a list row).
    public struct Interactive: Decodable, Sendable {
        public var type: String
        public var buttonReply: Reply?
        public var listReply: Reply?
        enum CodingKeys: String, CodingKey { case type, buttonReply = "button_reply", listReply = "list_reply" }
    }

    public struct Reply: Decodable, Sendable {
        public var id: String
        public var title: String?
    }

    public struct TemplateButton: Decodable, Sendable {
        public var payload: String?
        public var text: String?
    }
}

/// What became of a message we sent: sent, delivered, read, or failed with `errors`.
public struct MessageStatus: Decodable, Sendable {
    public var id: String
    public var status: String
    public var timestamp: String?
    public var errors: [GraphErrorDetail]?
}

public struct GraphErrorDetail: Decodable, Sendable {
    public var code: Int
    public var title: String?
    public var message: String?
    public var errorData: ErrorData?

    public struct ErrorData: Decodable, Sendable {
        public var details: String?
    }

    enum CodingKeys: String, CodingKey { case code, title, message, errorData = "error_data" }

    /// "131026 Message undeliverable: …", for staff.
    public var reason: String {
        let text = [title ?? message, errorData?.details].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        return text.isEmpty ? "\(code)" : "\(code) \(text)"
    }
}

/// A message to send: `POST /{version}/{phone-number-id}/messages`.
struct GraphMessage: Encodable, Sendable, Equatable {
    var messagingProduct = "whatsapp"
    var recipientType = "individual"
    var to: String
    var type: String
    var text: TextBody?
    var interactive: Interactive?
    var template: Template?

    enum CodingKeys: String, CodingKey { case messagingProduct = "messaging_product", recipientType = "recipient_type", to, type, text, interactive, template }

    struct TextBody: Encodable, Sendable, Equatable {
        var body: String
        var previewURL = false
        enum CodingKeys: String, CodingKey { case body, previewURL = "preview_url" }
    }

    struct Interactive: Encodable, Sendable, Equatable {
        /// "button" or "list".
        var type: String
        var body: TextBody
        var action: Action

        struct TextBody: Encodable, Sendable, Equatable { var text: String }
    }

    struct Action: Encodable, Sendable, Equatable {
        var buttons: [Button]?
        /// The label of the button that opens a list.
        var button: String?
        var sections: [Section]?
    }

    struct Button: Encodable, Sendable, Equatable {
        var type = "reply"
        var reply: Reply
        struct Reply: Encodable, Sendable, Equatable { var id: String; var title: String }
    }

    struct Section: Encodable, Sendable, Equatable {
        var rows: [Row]
    }

    struct Row: Encodable, Sendable, Equatable {
        var id: String
        var title: String
        var description: String?
    }

    struct Template: Encodable, Sendable, Equatable {
        var name: String
        var language: Language
        var components: [Component]
        struct Language: Encodable, Sendable, Equatable { var code: String }
        struct Component: Encodable, Sendable, Equatable {
            var type = "body"
            var parameters: [Parameter]
        }
        struct Parameter: Encodable, Sendable, Equatable {
            var type = "text"
            var text: String
        }
    }
}

/// `{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid.…"}]}`.
struct SendResponse: Decodable {
    var messages: [Sent]
    struct Sent: Decodable { var id: String }
}

/// `{"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047, "error_data": {"details": …}}}`.
struct ErrorResponse: Decodable {
    var error: GraphErrorDetail
}
