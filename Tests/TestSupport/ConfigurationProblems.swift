import App

/// What loading the configuration reports ("file:line: message", or the variable's), or nothing when it loads.
public func problems(_ loader: ConfigurationLoader) -> [String] {
    do {
        _ = try loader.load()
        return []
    } catch {
        return error.issues.map(\.description)
    }
}
