import ChannelKit
import Foundation

/// Webhook bodies shaped like Meta's (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples).
enum Payloads {
    static let phoneNumberID = "106540352242922"
    static let appSecret = "0f6b1c1f6b2a4e9d8c7b6a5f4e3d2c1b"
    static let verifyToken = "samenspraak-verify-7Qm3"

    static func envelope(messages: [String] = [], statuses: [String] = [], phoneNumberID: String = phoneNumberID, name: String = "Sanne de Vries",
                         from: String = "31612345678") -> String {
        var value = #""messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(phoneNumberID)"}"#
        if !messages.isEmpty {
            value += #","contacts":[{"profile":{"name":"\#(name)"},"wa_id":"\#(from)"}],"messages":[\#(messages.joined(separator: ","))]"#
        }
        if !statuses.isEmpty { value += #","statuses":[\#(statuses.joined(separator: ","))]"# }
        return #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{\#(value)},"field":"messages"}]}]}"#
    }

    static func message(_ id: String, from: String, type: String, _ fields: String) -> String {
        #"{"from":"\#(from)","id":"\#(id)","timestamp":"1795424400","type":"\#(type)",\#(fields)}"#
    }

    static func text(_ id: String, from: String, _ body: String) -> String {
        message(id, from: from, type: "text", #""text":{"body":"\#(escape(body))"}"#)
    }

    static func buttonReply(_ id: String, from: String, replyID: String, title: String, context: String = "wamid.HBgLMzE2MTIzNDU2NzgVAgARGBIwMDAwMDFBAA==") -> String {
        message(id, from: from, type: "interactive",
                #""context":{"from":"15550783881","id":"\#(context)"},"interactive":{"type":"button_reply","button_reply":{"id":"\#(escape(replyID))","title":"\#(escape(title))"}}"#)
    }

    static func listReply(_ id: String, from: String, replyID: String, title: String, description: String? = nil) -> String {
        let description = description.map { #","description":"\#(escape($0))""# } ?? ""
        return message(id, from: from, type: "interactive",
                       #""context":{"from":"15550783881","id":"wamid.HBgLMzE2MTIzNDU2NzgVAgARGBIwMDAwMDJBAA=="},"interactive":{"type":"list_reply","list_reply":{"id":"\#(escape(replyID))","title":"\#(escape(title))"\#(description)}}"#)
    }

    static func status(_ wamid: String, _ status: String, to recipient: String, errorCode: Int? = nil, title: String = "") -> String {
        let errors = errorCode.map { #","errors":[{"code":\#($0),"title":"\#(title)","message":"\#(title)","error_data":{"details":"\#(title)"},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]"# } ?? ""
        let pricing = status == "failed" ? "" : #","conversation":{"id":"a75d17ad06104c51166f948319b03c6a","origin":{"type":"service"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"service"}"#
        return #"{"id":"\#(wamid)","status":"\#(status)","timestamp":"1795424460","recipient_id":"\#(recipient)"\#(pricing)\#(errors)}"#
    }

    static func signature(_ body: String, secret: String = appSecret) -> String { WebhookSecurity.sha256Signature(body: Data(body.utf8), secret: secret) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
