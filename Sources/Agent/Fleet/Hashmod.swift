/// Prometheus's `hashmod` relabel action (docs/configuration.md, "Sharding"): the MD5 of the
/// text, its last 8 bytes read big-endian, modulo `modulus`. An operator predicts a target's
/// agent with the same relabelling (`source_labels: [__address__]`, `modulus: N`).
enum Hashmod {
    static func of(_ text: String, modulus: Int) -> Int {
        let digest = MD5.digest(Array(text.utf8))
        var value: UInt64 = 0
        for byte in digest[8..<16] { value = value << 8 | UInt64(byte) }
        return Int(value % UInt64(modulus))
    }
}
