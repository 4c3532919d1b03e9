import Foundation

/// One message on the inter-pool bus.
///
/// On the wire it is a header frame (`BusHeader`, JSON) and a payload frame (the payload's JSON),
/// after the topic and sequence frames (`docs/protocol.md`, "The message bus"). The payload is
/// kept as the JSON text that was published; `payload(as:)` decodes it into a type.
public struct BusMessage: Sendable, Equatable {
    /// What kind of message it is; with `targetPoolID`, it makes the topic subscribers filter on.
    public var type: BusMessageType
    /// Who published it: a pool id, `broker`, or a client's chosen id.
    public var sourcePoolID: String
    /// The one pool (or client) the message is for; `nil` for everyone subscribed to its type.
    public var targetPoolID: String?
    /// When it was published.
    public var timestamp: Date
    /// The payload's JSON text, as published (`docs/protocol.md` lists each type's fields).
    public var payloadJSON: [UInt8]

    /// A message whose payload is `payload` encoded as JSON.
    public init(type: BusMessageType, sourcePoolID: String, targetPoolID: String? = nil, payload: some Encodable, timestamp: Date = Date()) throws {
        try self.init(header: BusHeader(type: type, sourcePoolID: sourcePoolID, targetPoolID: targetPoolID, timestamp: timestamp), payloadJSON: JSONCoding.encode(payload))
    }

    /// A message from its two wire frames.
    public init(header: BusHeader, payloadJSON: [UInt8]) {
        type = header.type
        sourcePoolID = header.sourcePoolID
        targetPoolID = header.targetPoolID
        timestamp = Date(timeIntervalSince1970: header.timestamp)
        self.payloadJSON = payloadJSON
    }

    /// The header frame's fields.
    public var header: BusHeader {
        BusHeader(type: type, sourcePoolID: sourcePoolID, targetPoolID: targetPoolID, timestamp: timestamp)
    }

    /// Decodes the payload as `type`.
    public func payload<T: Decodable>(as type: T.Type) throws -> T {
        try JSONCoding.decode(type, from: payloadJSON)
    }

    /// The message as one JSON object: the header's fields and `payload` (what `bus tail --json`
    /// prints, one a line).
    public func json() throws -> [UInt8] {
        // The header is a JSON object with at least one field: splice the payload in as its first.
        Array(#"{"payload":"#.utf8) + payloadJSON + Array(",".utf8) + (try JSONCoding.encode(header)).dropFirst()
    }

    /// Reads a message back from `json` (one line of `bus tail --json`).
    ///
    /// Throws a `DecodingError` naming what is missing or malformed.
    public init(json: [UInt8]) throws {
        let object = try JSONSerialization.jsonObject(with: Data(json))
        guard let payload = (object as? [String: Any])?["payload"] else {
            throw DecodingError.keyNotFound(PayloadKey.payload, .init(codingPath: [], debugDescription: "a bus message needs a payload"))
        }
        let payloadJSON = try JSONSerialization.data(withJSONObject: payload, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        self.init(header: try JSONCoding.decode(BusHeader.self, from: json), payloadJSON: Array(payloadJSON))
    }

    private enum PayloadKey: String, CodingKey {
        case payload
    }
}

/// The header frame of a bus message: what it is, from whom, for whom, and when.
public struct BusHeader: Codable, Sendable, Equatable {
    /// The message type (`type`).
    public var type: BusMessageType
    /// The publisher's id (`source_pool_id`).
    public var sourcePoolID: String
    /// The target's id (`target_pool_id`); absent for everyone.
    public var targetPoolID: String?
    /// Seconds since 1970.
    public var timestamp: Double

    /// A header stamped with `timestamp`.
    public init(type: BusMessageType, sourcePoolID: String, targetPoolID: String?, timestamp: Date) {
        self.type = type
        self.sourcePoolID = sourcePoolID
        self.targetPoolID = targetPoolID
        self.timestamp = timestamp.timeIntervalSince1970
    }

    enum CodingKeys: String, CodingKey {
        case type, sourcePoolID = "source_pool_id", targetPoolID = "target_pool_id", timestamp
    }
}
