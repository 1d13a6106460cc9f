import KalmSupport

/// `data:` rows loaded once, shared read-only by every VU and engine (docs/configuration.md, "Data").
/// One copy in memory however many VUs read it.
public final class DataTable: Sendable {
    /// Column names, from the CSV header or the JSON objects' keys.
    public let columns: [String]
    /// Rows of values, each with one value per column.
    public let rows: [[String]]

    /// A table of `rows`, each as long as `columns`.
    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// How a VU picks the data row for an iteration.
public enum DataPick: String, Sendable, Equatable, CaseIterable {
    /// A row at random for every iteration.
    case random
    /// Row after row across all VUs, starting over after the last.
    case sequential
    /// Each row at most once per run: when rows run out the probe starts no more iterations,
    /// except in a never-ending agent scenario, where the rows start over (one pass at a time).
    case unique
}

/// One named data source of a probe.
public struct DataSourceSpec: Sendable, Equatable {
    /// The source's name: `{{ name.column }}`.
    public var name: String
    /// The rows.
    public var table: DataTable
    /// How rows are picked.
    public var pick: DataPick

    /// A source `name` over `table`, picked as `pick` says.
    public init(name: String, table: DataTable, pick: DataPick) {
        self.name = name
        self.table = table
        self.pick = pick
    }

    /// Equal when the names, picks and rows are (a reload that reads an unchanged file keeps the probe's recorder).
    public static func == (a: DataSourceSpec, b: DataSourceSpec) -> Bool {
        a.name == b.name && a.pick == b.pick
            && (a.table === b.table || (a.table.columns == b.table.columns && a.table.rows == b.table.rows))
    }
}

/// Hands out rows of one data source for one engine run, to every engine thread.
final class DataCursor: Sendable {
    let spec: DataSourceSpec
    let wraps: Bool
    /// `unique` within a distributed run: this part's rows are the segment's share of them.
    let segment: ExecutionSegment
    private let next = Locked(0)

    /// - Parameters:
    ///   - wraps: whether `unique` starts over when rows run out (a never-ending scenario).
    ///   - segment: the run's part; `unique` uses only its rows, so no row is used twice across parts.
    init(spec: DataSourceSpec, wraps: Bool, segment: ExecutionSegment = .whole) {
        self.spec = spec
        self.wraps = wraps
        self.segment = segment
    }

    /// The row for an iteration; nil when `unique` rows ran out.
    func row(random: UInt64) -> Int? {
        let n = spec.table.rows.count
        guard n > 0 else { return nil }
        switch spec.pick {
        case .random:
            return Int(random % UInt64(n))
        case .sequential:
            return next.withLock { i in
                defer { i = (i + 1) % n }
                return i
            }
        case .unique:
            let mine = segment.isWhole ? n : segment.scale(n)
            return next.withLock { i -> Int? in
                if i >= mine {
                    guard wraps, mine > 0 else { return nil }
                    i = 0
                }
                defer { i += 1 }
                return segment.isWhole ? i : segment.element(i)
            }
        }
    }
}
