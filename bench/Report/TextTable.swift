/// A plain-text table with aligned columns: text left, figures right.
struct TextTable {
    let headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "a row has one cell per column")
        rows.append(row)
    }

    func rendered() -> String {
        let widths = headers.indices.map { column in ([headers] + rows).map { $0[column].count }.max() ?? 0 }
        let isFigure = headers.indices.map { column in rows.allSatisfy { Self.looksNumeric($0[column]) } && !rows.isEmpty }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return isFigure[column] ? padding + cells[column] : cells[column] + padding
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }

    private static func looksNumeric(_ cell: String) -> Bool {
        cell == "—" || cell.first.map { $0.isNumber || $0 == "-" || $0 == "+" } ?? true
    }
}
