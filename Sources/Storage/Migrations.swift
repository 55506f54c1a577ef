import GRDB

extension AppDatabase {
    /// The schema's steps (`Schema`) as GRDB runs them, each once, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sqlite) }
        }
        return migrator
    }
}
