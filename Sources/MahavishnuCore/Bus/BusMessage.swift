import Foundation

/// One message on the inter-pool bus.
///
/// On the wire its body is this struct as JSON (`docs/protocol.md`, "The message bus"); the
/// `timestamp` travels as seconds since 1970.
public struct BusMessage: Codable, Sendable, Equatable {
    public var type: BusMessageType
    /// Who published it: a pool id, `broker`, or a client's chosen id.
    public var sourcePoolID: String
    /// The one pool (or client) the message is for; `nil` for everyone subscribed to its type.
    public var targetPoolID: String?
    /// The type's payload (`docs/protocol.md` lists each one's fields).
    public var payload: JSONValue
    /// When it was published.
    public var timestamp: Date

    public init(type: BusMessageType, sourcePoolID: String, targetPoolID: String? = nil, payload: JSONValue, timestamp: Date = Date()) {
        self.type = type
        self.sourcePoolID = sourcePoolID
        self.targetPoolID = targetPoolID
        self.payload = payload
        self.timestamp = timestamp
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: BusEnvelopeKeys.self)
        type = try container.decode(BusMessageType.self, forKey: .type)
        sourcePoolID = try container.decode(String.self, forKey: .sourcePoolID)
        targetPoolID = try container.decodeIfPresent(String.self, forKey: .targetPoolID)
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        timestamp = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .timestamp))
    }

    public func encode(to encoder: any Encoder) throws {
        try BusEnvelope(type: type, sourcePoolID: sourcePoolID, targetPoolID: targetPoolID, payload: payload, timestamp: timestamp).encode(to: encoder)
    }

    /// Decodes the payload as `type`.
    public func payload<T: Decodable>(as type: T.Type) throws -> T {
        try payload.decode(as: type)
    }
}

/// A bus message body with a payload of any encodable type, so a publisher encodes its payload
/// once, straight into the body.
public struct BusEnvelope<Payload: Encodable>: Encodable {
    public var type: BusMessageType
    public var sourcePoolID: String
    public var targetPoolID: String?
    public var payload: Payload
    public var timestamp: Date

    public init(type: BusMessageType, sourcePoolID: String, targetPoolID: String?, payload: Payload, timestamp: Date) {
        self.type = type
        self.sourcePoolID = sourcePoolID
        self.targetPoolID = targetPoolID
        self.payload = payload
        self.timestamp = timestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: BusEnvelopeKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(sourcePoolID, forKey: .sourcePoolID)
        try container.encodeIfPresent(targetPoolID, forKey: .targetPoolID)
        try container.encode(payload, forKey: .payload)
        try container.encode(timestamp.timeIntervalSince1970, forKey: .timestamp)
    }
}

/// The JSON keys of a bus message body.
enum BusEnvelopeKeys: String, CodingKey {
    case type, sourcePoolID = "source_pool_id", targetPoolID = "target_pool_id", payload, timestamp
}
