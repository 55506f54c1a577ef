extension AppDatabase {
    /// Closes every connection; later reads and writes fail. For an orderly end, and for tests of a daemon whose
    /// database has gone away.
    public func close() throws { try writer.close() }
}
