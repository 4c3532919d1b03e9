import Foundation

/// A hand-written SVG document: the few shapes the plots need, nothing more.
struct SVGDocument {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
        elements.append(#"<rect width="100%" height="100%" fill="white"/>"#)
    }

    /// How a line or outline is drawn.
    struct Stroke {
        var color: String
        var width = 1.0
        /// An SVG `stroke-dasharray`, or nil for a solid line.
        var dash: String? = nil

        var attributes: String {
            #"stroke="\#(color)" stroke-width="\#(number(width))""# + (dash.map { #" stroke-dasharray="\#($0)""# } ?? "")
        }
    }

    mutating func line(from start: (Double, Double), to end: (Double, Double), _ stroke: Stroke) {
        elements.append(#"<line x1="\#(number(start.0))" y1="\#(number(start.1))" x2="\#(number(end.0))" y2="\#(number(end.1))" \#(stroke.attributes)/>"#)
    }

    mutating func polyline(_ points: [(Double, Double)], _ stroke: Stroke) {
        let coordinates = points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
        elements.append(#"<polyline points="\#(coordinates)" fill="none" \#(stroke.attributes) stroke-linejoin="round"/>"#)
    }

    mutating func circle(at center: (Double, Double), radius: Double, fill: String) {
        elements.append(#"<circle cx="\#(number(center.0))" cy="\#(number(center.1))" r="\#(number(radius))" fill="\#(fill)"/>"#)
    }

    mutating func square(at center: (Double, Double), side: Double, fill: String) {
        elements.append(#"<rect x="\#(number(center.0 - side / 2))" y="\#(number(center.1 - side / 2))" width="\#(number(side))" height="\#(number(side))" fill="\#(fill)"/>"#)
    }

    mutating func rectangle(origin: (Double, Double), size: (Double, Double), _ stroke: Stroke) {
        elements.append(#"<rect x="\#(number(origin.0))" y="\#(number(origin.1))" width="\#(number(size.0))" height="\#(number(size.1))" fill="none" \#(stroke.attributes)/>"#)
    }

    /// Text at `position`; `anchor` is `start`, `middle` or `end`.
    mutating func text(_ string: String, at position: (Double, Double), size: Double = 12, anchor: String = "start", bold: Bool = false, color: String = "#222") {
        let weight = bold ? #" font-weight="bold""# : ""
        elements.append(#"<text x="\#(number(position.0))" y="\#(number(position.1))" font-size="\#(number(size))" text-anchor="\#(anchor)" fill="\#(color)"\#(weight)>\#(escaped(string))</text>"#)
    }

    func rendered() -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" viewBox="0 0 \(number(width)) \(number(height))" font-family="Helvetica, Arial, sans-serif">
        \(elements.joined(separator: "\n"))
        </svg>

        """
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Coordinates with at most two decimals keep the file small and diffable.
private func number(_ value: Double) -> String {
    String(format: "%.2f", value).replacingOccurrences(of: ".00", with: "")
}
