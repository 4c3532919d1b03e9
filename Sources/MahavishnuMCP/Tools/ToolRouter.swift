import Mahavishnu
import MCP

/// Answers `tools/call`: counts the call against its caller's quota, checks its arguments, runs
/// its tool, and turns every failure into a tool error that says what was wrong.
struct ToolRouter: Sendable {
    private let tools: [String: ToolDefinition]
    private let limiter: CallerRateLimiter
    private let context: ToolContext

    init(tools: [ToolDefinition], limiter: CallerRateLimiter, context: ToolContext) {
        self.tools = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
        self.limiter = limiter
        self.context = context
    }

    /// Runs the call; a call with a `progressToken` reports its task's partial outputs to `notify`.
    func call(_ request: CallTool.Parameters, notify: @escaping @Sendable (ProgressNotification.Parameters) async -> Void = { _ in }) async -> CallTool.Result {
        let caller = request.arguments?["caller_kind"]?.stringValue ?? "default"
        if let wait = limiter.admit(caller) {
            let quota = limiter.quota
            return ToolFailure(
                .rateLimited, "caller '\(caller)' has made \(quota.limit) calls in the last \(quota.windowSeconds) s (caller_quota); retry after \(String(format: "%.1f", wait)) s",
                retryAfterSeconds: wait
            ).result
        }
        guard let tool = tools[request.name] else {
            return ToolFailure(.invalidArgument, "unknown tool '\(request.name)'; tools: \(tools.keys.sorted().joined(separator: ", "))").result
        }
        var context = self.context
        if let token = request._meta?.progressToken {
            context.progress = { count, message in await notify(.init(progressToken: token, progress: Double(count), message: message)) }
        }
        do {
            let value = try await tool.handler(try tool.check(request.arguments), context)
            let json = try JSONCoding.encode(value)
            let structured: Value? = try JSONCoding.decode(Value.self, from: json)
            return CallTool.Result(content: [.text(text: String(decoding: json, as: UTF8.self), annotations: nil, _meta: nil)], structuredContent: structured, isError: false)
        } catch {
            return ToolFailure(error).result
        }
    }
}
