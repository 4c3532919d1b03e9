import Synchronization

/// `body` did not finish within its time limit.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what) did not answer within \(limit)" }
}

/// Runs `body` and returns its result, or throws `DeadlineExceeded` once `limit` has passed.
///
/// Unlike a task group, this returns at the deadline even if `body` ignores cancellation (the MCP
/// client's requests do); `body` is cancelled and its late result dropped.
func withDeadline<T: Sendable>(_ limit: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let waiter = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        waiter.set(continuation)
        let work = Task {
            waiter.resume(with: await Result { try await body() })
        }
        Task {
            try? await Task.sleep(for: limit)
            if waiter.resume(with: .failure(DeadlineExceeded(what: what, limit: limit))) { work.cancel() }
        }
    }
}

/// A continuation resumed by whichever comes first; later attempts do nothing.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes the continuation if nothing did yet; returns whether this call did.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing call.
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
