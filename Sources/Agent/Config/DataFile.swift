import Foundation
import Probes

/// Reads a `data:` file into a `DataTable`: CSV with a header row (RFC 4180 quoting), or a
/// JSON array of objects (docs/configuration.md, "Data"). Loaded once per config load and
/// shared by every VU.
enum DataFile {
    /// Larger files are refused: the table lives in memory.
    static let maxBytes = 512 << 20

    struct LoadError: Error {
        var message: String
    }

    static func load(path: String, shownAs shown: String) throws(LoadError) -> DataTable {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maxBytes {
            throw LoadError(message: "data file \(shown) is \(size >> 20) MiB; the limit is \(maxBytes >> 20) MiB (rows are held in memory)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(message: "cannot read data file \(shown) (\(path)); check the path (relative to the config file) and permissions")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".json") { return try json(data, shown: shown) }
        if lower.hasSuffix(".csv") { return try csv(data, shown: shown) }
        throw LoadError(message: "data file \(shown) must end in .csv (with a header row) or .json (an array of objects)")
    }

    // MARK: CSV

    static func csv(_ data: Data, shown: String) throws(LoadError) -> DataTable {
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoadError(message: "data file \(shown) is not UTF-8 text")
        }
        let records = try parseCSV(text, shown: shown)
        guard let header = records.first, !(header.fields.count == 1 && header.fields[0].isEmpty) else {
            throw LoadError(message: "data file \(shown) is empty; write a header row naming the columns, then one row per record")
        }
        var columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        if let first = columns.first, first.hasPrefix("\u{FEFF}") { columns[0] = String(first.dropFirst()) }
        for (i, c) in columns.enumerated() {
            if c.isEmpty || Double(c) != nil || !isColumnName(c) {
                // The value itself is not shown: a file without a header may hold credentials.
                throw LoadError(message: "data file \(shown) line 1 is not a header row (column \(i + 1) is \(c.isEmpty ? "empty" : Double(c) != nil ? "a number" : "not a name")); the first row must name the columns with letters, digits and _ (e.g. brand,category), as {{ source.column }} uses them")
            }
            if columns[..<i].contains(c) {
                throw LoadError(message: "data file \(shown) header names column \"\(c)\" twice; column names must be unique")
            }
        }
        var rows: [[String]] = []
        rows.reserveCapacity(records.count - 1)
        for r in records.dropFirst() {
            if r.fields.count == 1 && r.fields[0].isEmpty { continue }  // a blank line
            guard r.fields.count == columns.count else {
                throw LoadError(message: "data file \(shown) line \(r.line) has \(r.fields.count) fields, the header has \(columns.count); quote fields that contain commas")
            }
            rows.append(r.fields)
        }
        guard !rows.isEmpty else { throw LoadError(message: "data file \(shown) has a header but no rows") }
        return DataTable(columns: columns, rows: rows)
    }

    struct Record {
        var line: Int
        var fields: [String]
    }

    /// RFC 4180: fields separated by commas, quoted with `"` (doubled inside), CRLF or LF line ends.
    static func parseCSV(_ text: String, shown: String) throws(LoadError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = n }
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\r":
                break
            case "\n":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw LoadError(message: "data file \(shown) line \(recordLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    // MARK: JSON

    static func json(_ data: Data, shown: String) throws(LoadError) -> DataTable {
        guard let value = try? JSONSerialization.jsonObject(with: data) else {
            throw LoadError(message: "data file \(shown) is not valid JSON; write an array of objects, e.g. [{\"brand\": \"Rolex\"}]")
        }
        guard let array = value as? [Any], !array.isEmpty else {
            throw LoadError(message: "data file \(shown) must hold a non-empty JSON array of objects, e.g. [{\"brand\": \"Rolex\"}]")
        }
        var columns: [String] = []
        var index: [String: Int] = [:]
        var objects: [[String: Any]] = []
        objects.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            guard let object = element as? [String: Any] else {
                throw LoadError(message: "data file \(shown) element \(i) is not an object; each element must be an object of column: value")
            }
            for key in object.keys.sorted() where index[key] == nil {
                guard isColumnName(key) else {
                    throw LoadError(message: "data file \(shown) element \(i) has key \"\(key)\"; keys name columns: use letters, digits and _")
                }
                index[key] = columns.count
                columns.append(key)
            }
            objects.append(object)
        }
        // A key an element lacks is the empty string there.
        let rows = objects.map { o in columns.map { o[$0].map(text) ?? "" } }
        return DataTable(columns: columns, rows: rows)
    }

    /// A JSON value as a template inserts it: strings as they are, others as JSON text (as checks render them).
    static func text(_ v: Any) -> String { JSONPath.text(of: v) }

    static func isColumnName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
