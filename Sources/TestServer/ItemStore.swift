import Foundation

/// The JSON objects stored through `POST /api/items`, by id. Not thread-safe by itself:
/// `ServerState` guards it with its lock.
///
/// Ids are increasing integers, so the oldest item is the one with the lowest id still
/// present; `oldest` only ever moves forward, which keeps eviction amortised O(1).
struct ItemStore {
    /// Keep at most this many items; adding one more evicts the oldest.
    static let maxItems = 10_000
    private var items: [Int: String] = [:]
    private var nextID = 1
    private var oldest = 1

    /// Stores `object` with a new `"id"` member (replacing any the client sent) and returns
    /// the id and the stored JSON text. Keys are sorted so the text is deterministic, and
    /// `/` is left as is (JSONSerialization would write `\/`, which is valid but surprising).
    mutating func add(_ object: [String: Any]) throws -> (id: String, json: String) {
        let id = nextID
        var object = object
        object["id"] = String(id)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let json = String(decoding: data, as: UTF8.self)
        nextID += 1
        items[id] = json
        while items.count > Self.maxItems {
            items[oldest] = nil
            oldest += 1
        }
        return (String(id), json)
    }

    /// The stored JSON text of item `id`, or nil.
    func get(_ id: String) -> String? {
        Self.key(id).flatMap { items[$0] }
    }

    /// Removes item `id`; whether it was there.
    mutating func remove(_ id: String) -> Bool {
        guard let key = Self.key(id) else { return false }
        return items.removeValue(forKey: key) != nil
    }

    /// The integer behind an id exactly as this store spells it: `007` or `+7` name no item.
    private static func key(_ id: String) -> Int? {
        guard let key = Int(id), String(key) == id else { return nil }
        return key
    }
}
