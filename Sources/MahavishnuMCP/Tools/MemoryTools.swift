/// The memory tool of the migration guide. Its handler is the memory store's
/// (`MemoryAggregator.crossPoolSearch`), which this build does not include: until it is wired in,
/// a call answers that the store is missing instead of pretending to find nothing.
enum MemoryTools {
    static let searchMemory = ToolDefinition(
        "pool_search_memory", "Search the results stored by every pool (the memory store) for a query; returns the best matches first.",
        arguments: [
            .string("query", "What to look for in the stored results.", required: true),
            .integer("limit", "Most matches to return.", range: 1...1000, default: 100),
        ]
    ) { _, _ in
        throw ToolFailure(.unavailable, "pool_search_memory needs the memory store (MemoryAggregator.crossPoolSearch), which this build does not include yet")
    }
}
