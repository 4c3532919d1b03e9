/// Why a bench run (or one of its child processes) could not go on; the message says what to check.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
