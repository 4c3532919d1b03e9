import Yams

/// One file of a rendered deployment.
struct RenderedFile {
    let name: String
    let text: String
    /// Holds secret keys: written readable by its owner only.
    var secret = false
}

extension Node {
    /// A string scalar, quoted so that YAML reads it back as a string whatever it holds.
    static func text(_ value: String) -> Node { Node(value, .implicit, .doubleQuoted) }
    static func strings(_ values: [String]) -> Node { Node(values.map(text)) }
    static func number(_ value: Int) -> Node { Node(String(value), Tag(.int)) }
    static func flag(_ value: Bool) -> Node { Node(value ? "true" : "false", Tag(.bool)) }
}
