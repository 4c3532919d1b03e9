import Mahavishnu
import MahavishnuMemory

/// The memory tool of the migration guide: a ranked full-text search over the results every
/// pool reported, in the memory database the broker's aggregator writes (`memory_database_path`).
enum MemoryTools {
    static let searchMemory = ToolDefinition(
        "pool_search_memory", "Search the results stored by every pool (the memory store) for a query; returns the best matches first.",
        arguments: [
            .string("query", "What to look for in the stored results.", required: true),
            .integer("limit", "Most matches to return.", range: 1...1000, default: 100),
        ]
    ) { arguments, context in
        let store: MemoryStore
        do {
            store = try MemoryStore(path: context.settings.memoryDatabaseFile, create: false)
        } catch {
            throw ToolFailure(.unavailable, "the memory store cannot be read: \(error); the broker writes it when memory_aggregation_enabled is true")
        }
        do {
            return ["matches": try await store.search(arguments.text("query"), limit: arguments.int("limit") ?? 100)]
        } catch let error as MemoryStoreError {
            throw ToolFailure(.invalidArgument, error.description, argument: "query")
        }
    }
}
