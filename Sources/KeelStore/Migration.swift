/// One step of the database schema: applied once, in its own transaction, in ascending version order.
///
/// Migrations are append-only: once released, a migration's SQL never changes; a later migration
/// alters what an earlier one created.
public struct Migration: Sendable, Equatable {
    /// Position in the schema history, starting at 1, without gaps.
    public var version: Int
    /// Short description, recorded beside the version.
    public var name: String
    /// The statements to run.
    public var sql: String

    /// A migration step.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
