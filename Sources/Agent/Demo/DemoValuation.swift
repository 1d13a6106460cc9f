import Foundation
import KalmSupport

/// The demo API's valuation model: a base price per brand × a category factor × a
/// condition factor, rounded to cents. Deterministic, so a probe can check the value;
/// unknown brands get a stable base derived from the name.
struct DemoValuation {
    var brand: String
    var category: String
    var condition: String

    private static let brandBase: [String: Double] = [
        "rolex": 8_500, "patek philippe": 32_000, "audemars piguet": 28_000, "omega": 3_200,
        "cartier": 4_200, "hermes": 7_000, "hermès": 7_000, "chanel": 4_500,
        "louis vuitton": 1_400, "gucci": 900, "prada": 800, "dior": 1_600, "apple": 600,
    ]
    private static let categoryFactor: [String: Double] = [
        "watches": 1.0, "jewelry": 1.1, "jewellery": 1.1, "bags": 0.9, "handbags": 0.9,
        "shoes": 0.5, "clothing": 0.4, "accessories": 0.6, "electronics": 0.6,
    ]
    private static let conditionFactor: [String: Double] = [
        "new": 1.0, "like new": 0.9, "like_new": 0.9, "excellent": 0.9, "very good": 0.82,
        "very_good": 0.82, "good": 0.75, "fair": 0.55, "poor": 0.35,
    ]

    /// Reads the fields from a decoded JSON object; missing or non-string fields are empty.
    init(json: [String: Any]) {
        brand = json["brand"] as? String ?? ""
        category = json["category"] as? String ?? ""
        condition = json["condition"] as? String ?? ""
    }

    /// The estimate in EUR, in cents.
    var estimatedCents: Int {
        let base = Self.brandBase[Self.key(brand)] ?? Self.fallbackBase(brand)
        let value = base * (Self.categoryFactor[Self.key(category)] ?? 0.8)
            * (Self.conditionFactor[Self.key(condition)] ?? 0.6)
        return Int((value * 100).rounded())
    }

    /// The 200 answer, with a fresh `val_<hex>` id.
    func responseJSON() -> String {
        let id = (0..<16).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined()
        let cents = estimatedCents
        let value = "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
        return #"{"id":"val_\#(id)","estimated_value":\#(value),"currency":"EUR","brand":\#(JSONText.quoted(brand)),"#
            + #""category":\#(JSONText.quoted(category)),"condition":\#(JSONText.quoted(condition))}"#
    }

    private static func key(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// 200...2,000 EUR, stable for a given name (FNV-1a, not `hashValue`, which is seeded per process).
    private static func fallbackBase(_ brand: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key(brand).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return 200 + Double(hash % 1_801)
    }

}
