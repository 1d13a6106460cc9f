/// "Did you mean" suggestions for misspelt keys and names.
public enum EditDistance {
    /// Levenshtein distance between `a` and `b`.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// The candidate closest to `word`, if close enough to be a likely typo.
    ///
    /// Matches ignoring case and `_`/`-` first (`preAllocatedVUs` → `preallocated_vus`),
    /// then by edit distance (at most 1 for short words, 2 up to 8 letters, 3 beyond).
    public static func suggest(_ word: String, from candidates: [String]) -> String? {
        func squash(_ s: String) -> String { s.lowercased().filter { $0 != "_" && $0 != "-" } }
        let w = squash(word)
        if let exact = candidates.first(where: { squash($0) == w }) { return exact }
        let limit = word.count <= 3 ? 1 : word.count <= 8 ? 2 : 3
        var best: (String, Int)?
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }
}
