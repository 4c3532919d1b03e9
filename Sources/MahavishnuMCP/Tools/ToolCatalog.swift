import Mahavishnu

/// Every tool the server offers, with the guide's names and arguments.
enum ToolCatalog {
    static func all(_ settings: Settings) -> [ToolDefinition] {
        PoolTools.all(settings) + [DispatchTools.dispatch, DispatchTools.result, DispatchTools.cancel, MemoryTools.searchMemory] + WorkerTools.all(settings)
    }
}
