import Yams

/// Reads the `worker_types:` mapping of a settings file, strictly: every key known, every value
/// of the right type, every error naming the dotted key (`worker_types.coder.command`).
extension WorkerTypeCatalog {
    /// The settings key that holds the definitions.
    static let settingsKey = "worker_types"

    /// The keys a definition may have.
    static let definitionKeys = ["executor", "command", "prompt_via", "working_directory", "environment", "output_cap_bytes", "kill_grace_seconds", "stream"]

    /// The built-ins plus the definitions of `node` (a mapping of name to definition; empty or null for none).
    static func parse(_ node: Node, source: String) throws(ConfigurationError) -> WorkerTypeCatalog {
        var catalog = WorkerTypeCatalog.builtIn
        if node.null != nil { return catalog }
        let entries = try YAMLFields(node, source: source, path: settingsKey)
        for name in entries.keys {
            let key = entries.qualified(name)
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
                throw ConfigurationError(source: entries.location(of: name), key: key, message: "a worker type name uses letters, digits, '-', '_' and '.' only")
            }
            if fixedNames.contains(name) {
                throw ConfigurationError(source: entries.location(of: name), key: key, message: "'\(name)' is built in and cannot be redefined; choose another name")
            }
            let definition = try parseDefinition(YAMLFields(entries.value(name)!, source: source, path: key))
            catalog.define(name, as: definition)
        }
        return catalog
    }

    private static func parseDefinition(_ fields: YAMLFields) throws(ConfigurationError) -> WorkerTypeDefinition {
        try fields.rejectUnknownKeys(definitionKeys)
        guard let executorName = try fields.string("executor") else {
            throw fields.error("executor", "missing: expected one of \(WorkerTypeDefinition.ExecutorKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let executor = WorkerTypeDefinition.ExecutorKind(rawValue: executorName) else {
            throw fields.error("executor", "expected one of \(WorkerTypeDefinition.ExecutorKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(executorName)'")
        }
        var definition = WorkerTypeDefinition(executor: executor)
        definition.command = try fields.stringList("command") ?? []
        if let via = try fields.string("prompt_via") {
            guard let delivery = WorkerTypeDefinition.PromptDelivery(rawValue: via) else {
                throw fields.error("prompt_via", "expected argument or stdin, got '\(via)'")
            }
            definition.promptVia = delivery
        }
        definition.workingDirectory = try fields.string("working_directory")
        definition.environment = try fields.stringMapping("environment") ?? [:]
        definition.outputCapBytes = try fields.count("output_cap_bytes") ?? definition.outputCapBytes
        definition.killGraceSeconds = try fields.positiveSeconds("kill_grace_seconds") ?? definition.killGraceSeconds
        definition.stream = try fields.bool("stream") ?? false
        if definition.stream, definition.executor != .exec {
            throw fields.error("stream", "only an exec worker streams its output lines; a process worker sends partial lines itself ({\"task_id\", \"partial\"})")
        }
        try check(definition, fields)
        return definition
    }

    /// Rules that span keys of one definition.
    private static func check(_ definition: WorkerTypeDefinition, _ fields: YAMLFields) throws(ConfigurationError) {
        switch definition.executor {
        case .echo:
            for key in ["command", "prompt_via", "working_directory", "environment"] where fields.value(key) != nil {
                throw fields.error(key, "an echo worker runs no program; remove \(key)")
            }
        case .exec, .process:
            if definition.command.isEmpty {
                throw fields.error("command", "missing: a \(definition.executor.rawValue) worker needs a command, a list like [\"qwen\", \"-p\", \"{prompt}\"]")
            }
            if definition.executor == .process, fields.value("prompt_via") != nil {
                throw fields.error("prompt_via", "a process worker gets each task as a JSON line on stdin; prompt_via applies to exec workers only")
            }
            let placeholders = definition.command.contains { $0.contains(WorkerTypeDefinition.promptPlaceholder) }
            if definition.executor == .exec, definition.promptVia == .argument, !placeholders {
                throw fields.error("command", "no argument contains {prompt}, so the prompt would be lost; add {prompt} to an argument or set prompt_via: stdin")
            }
        }
    }
}

extension YAMLFields {
    /// A `ConfigurationError` about `key` of this mapping, at its line.
    func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(source: location(of: key), key: qualified(key), message: message)
    }

    /// A non-empty list of non-empty strings.
    func stringList(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let items) = node, !items.isEmpty else {
            throw error(key, "expected a non-empty list of strings, like [\"qwen\", \"-p\", \"{prompt}\"]")
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = ValueParser.string(item) else {
                throw ConfigurationError(source: YAMLFields.locate(source, item), key: "\(qualified(key))[\(index)]", message: "expected a non-empty string")
            }
            strings.append(text)
        }
        return strings
    }

    /// A mapping of names to scalar values, read as text.
    func stringMapping(_ key: String) throws(ConfigurationError) -> [String: String]? {
        guard let node = value(key) else { return nil }
        let entries = try YAMLFields(node, source: source, path: qualified(key))
        var mapping: [String: String] = [:]
        for name in entries.keys {
            guard case .scalar(let scalar) = entries.value(name)! else {
                throw entries.error(name, "expected a text value")
            }
            mapping[name] = scalar.string
        }
        return mapping
    }

    /// A number greater than 0.
    func positiveSeconds(_ key: String) throws(ConfigurationError) -> Double? {
        guard let node = value(key) else { return nil }
        guard let number = ValueParser.double(node), number > 0, number.isFinite else {
            throw error(key, "expected a number of seconds greater than 0, got '\(node.string ?? "?")'")
        }
        return number
    }
}
