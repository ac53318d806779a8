extension SQLiteStore {
    /// The schema history, oldest first. Append new migrations at the end; never edit released ones.
    public static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "requests and store_health",
            sql: """
            CREATE TABLE requests (
                id                  TEXT PRIMARY KEY NOT NULL,
                time                INTEGER NOT NULL,
                inbound_api         TEXT NOT NULL,
                model               TEXT NOT NULL,
                provider            TEXT,
                upstream_model      TEXT,
                status              INTEGER NOT NULL,
                latency_ms          REAL NOT NULL,
                ttft_ms             REAL,
                input_tokens        INTEGER,
                output_tokens       INTEGER,
                cached_input_tokens INTEGER,
                stream              INTEGER NOT NULL,
                error_message       TEXT,
                metadata            TEXT NOT NULL DEFAULT '{}'
            );
            CREATE INDEX requests_time ON requests (time, id);
            CREATE INDEX requests_model_time ON requests (model, time, id);
            CREATE TABLE store_health (
                id         INTEGER PRIMARY KEY CHECK (id = 1),
                checked_at INTEGER NOT NULL,
                checks     INTEGER NOT NULL
            );
            """
        ),
        Migration(
            version: 2,
            name: "request attempts and the response cache",
            sql: """
            ALTER TABLE requests ADD COLUMN attempts TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE requests ADD COLUMN cache TEXT;
            CREATE TABLE response_cache (
                key        TEXT PRIMARY KEY NOT NULL,
                partition  TEXT NOT NULL,
                model      TEXT NOT NULL,
                route      TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                body       TEXT NOT NULL
            );
            CREATE INDEX response_cache_expires ON response_cache (expires_at);
            """
        ),
        Migration(
            version: 3,
            name: "feedback",
            sql: """
            CREATE TABLE feedback (
                id         TEXT PRIMARY KEY NOT NULL,
                time       INTEGER NOT NULL,
                request_id TEXT,
                trace_id   TEXT,
                span_id    TEXT,
                name       TEXT NOT NULL,
                score      REAL NOT NULL,
                label      TEXT,
                comment    TEXT,
                source     TEXT,
                CHECK (request_id IS NOT NULL OR trace_id IS NOT NULL)
            );
            CREATE INDEX feedback_request ON feedback (request_id, time) WHERE request_id IS NOT NULL;
            CREATE INDEX feedback_trace ON feedback (trace_id, time) WHERE trace_id IS NOT NULL;
            CREATE INDEX feedback_time ON feedback (time);
            """
        ),
        Migration(
            version: 4,
            name: "governance: teams, virtual keys, spend ledger, audit chain",
            sql: """
            CREATE TABLE gov_teams (
                id                  TEXT PRIMARY KEY NOT NULL,
                name                TEXT NOT NULL UNIQUE,
                max_budget_usd      REAL,
                budget_period       TEXT NOT NULL,
                user_max_budget_usd REAL,
                rpm_limit           INTEGER,
                tpm_limit           INTEGER,
                models              TEXT,
                metadata            TEXT NOT NULL DEFAULT '{}',
                created_at          INTEGER NOT NULL,
                updated_at          INTEGER NOT NULL
            );
            CREATE TABLE gov_keys (
                id             TEXT PRIMARY KEY NOT NULL,
                team_id        TEXT NOT NULL,
                name           TEXT,
                role           TEXT NOT NULL,
                user_id        TEXT,
                models         TEXT,
                max_budget_usd REAL,
                budget_period  TEXT NOT NULL,
                rpm_limit      INTEGER,
                tpm_limit      INTEGER,
                expires_at     INTEGER,
                metadata       TEXT NOT NULL DEFAULT '{}',
                key_hash       TEXT NOT NULL UNIQUE,
                key_prefix     TEXT NOT NULL,
                created_at     INTEGER NOT NULL,
                rotated_at     INTEGER,
                revoked_at     INTEGER
            );
            CREATE INDEX gov_keys_team ON gov_keys (team_id);
            CREATE TABLE gov_spend (
                request_id          TEXT NOT NULL,
                time                INTEGER NOT NULL,
                key_id              TEXT,
                team_id             TEXT,
                user_id             TEXT,
                model               TEXT NOT NULL,
                input_tokens        INTEGER NOT NULL,
                output_tokens       INTEGER NOT NULL,
                cached_input_tokens INTEGER NOT NULL,
                cache_write_tokens  INTEGER NOT NULL,
                cost_nanos          INTEGER NOT NULL,
                status              INTEGER NOT NULL,
                tags                TEXT NOT NULL DEFAULT '[]'
            );
            CREATE INDEX gov_spend_time ON gov_spend (time);
            CREATE INDEX gov_spend_team_time ON gov_spend (team_id, time);
            CREATE INDEX gov_spend_key_time ON gov_spend (key_id, time);
            CREATE TABLE gov_audit (
                seq       INTEGER PRIMARY KEY NOT NULL,
                time      INTEGER NOT NULL,
                actor     TEXT NOT NULL,
                action    TEXT NOT NULL,
                target    TEXT NOT NULL,
                outcome   TEXT NOT NULL,
                team_id   TEXT,
                detail    TEXT NOT NULL DEFAULT '{}',
                prev_hash TEXT NOT NULL,
                hash      TEXT NOT NULL
            );
            CREATE INDEX gov_audit_time ON gov_audit (time);
            CREATE TABLE gov_audit_head (
                id   INTEGER PRIMARY KEY CHECK (id = 1),
                seq  INTEGER NOT NULL,
                hash TEXT NOT NULL
            );
            """
        ),
        Migration(
            version: 5,
            name: "request log filters",
            sql: """
            CREATE INDEX requests_provider_time ON requests (provider, time, id);
            CREATE INDEX requests_status_time ON requests (status, time, id);
            CREATE INDEX requests_team_time ON requests (json_extract(metadata, '$.team'), time, id);
            CREATE INDEX requests_key_time ON requests (json_extract(metadata, '$.key_id'), time, id);
            """
        ),
        Migration(
            version: 6,
            name: "cheaper request log and spend indexes",
            sql: """
            ALTER TABLE requests ADD COLUMN team_id TEXT;
            ALTER TABLE requests ADD COLUMN key_id TEXT;
            UPDATE requests SET team_id = json_extract(metadata, '$.team'), key_id = json_extract(metadata, '$.key_id');
            DROP INDEX requests_team_time;
            DROP INDEX requests_key_time;
            DROP INDEX requests_status_time;
            DROP INDEX requests_provider_time;
            CREATE INDEX requests_team_time ON requests (team_id, time, id) WHERE team_id IS NOT NULL;
            CREATE INDEX requests_key_time ON requests (key_id, time, id) WHERE key_id IS NOT NULL;
            CREATE INDEX requests_error_time ON requests (status, time, id) WHERE status >= 400;
            DROP INDEX gov_spend_team_time;
            DROP INDEX gov_spend_key_time;
            CREATE INDEX gov_spend_team_time ON gov_spend (team_id, time) WHERE team_id IS NOT NULL;
            CREATE INDEX gov_spend_key_time ON gov_spend (key_id, time) WHERE key_id IS NOT NULL;
            """
        ),
        Migration(
            version: 7,
            name: "captured request content",
            sql: """
            CREATE TABLE request_content (
                request_id       TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
                input            TEXT,
                output           TEXT,
                input_truncated  INTEGER NOT NULL DEFAULT 0,
                output_truncated INTEGER NOT NULL DEFAULT 0,
                redaction        TEXT NOT NULL
            );
            """
        ),
        Migration(
            version: 8,
            name: "trace and span ids in their own columns",
            // Written by traced requests instead of two metadata members; rows from before keep
            // theirs in the metadata, which is where readers look (the reader copies the columns there).
            sql: """
            ALTER TABLE requests ADD COLUMN trace_id TEXT;
            ALTER TABLE requests ADD COLUMN span_id TEXT;
            """
        ),
    ]

    /// The schema version this code creates and understands: the last migration's version.
    public static var schemaVersion: Int {
        migrations.last?.version ?? 0
    }

    /// Brings the database behind `db` up to ``schemaVersion``.
    ///
    /// Each pending migration runs in its own `BEGIN IMMEDIATE` transaction together with its
    /// `schema_migrations` row, so a failure leaves the schema at the previous version, and two processes
    /// opening the same file at once cannot apply a migration twice. A database at a newer version than
    /// this code knows is refused rather than used (downgrade protection).
    static func migrate(_ db: SQLiteConnection, migrations: [Migration] = SQLiteStore.migrations) throws -> [Int] {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """,
            code: .migrationFailed
        )
        let known = migrations.last?.version ?? 0
        func currentVersion() throws -> Int {
            do {
                return Int(try db.scalarInt("SELECT MAX(version) FROM schema_migrations") ?? 0)
            } catch let error as StoreError {
                throw StoreError(.migrationFailed, "could not read the schema version: \(error.message)")
            }
        }
        let found = try currentVersion()
        if found > known {
            throw StoreError(
                .newerSchema,
                "database \(db.filename) has schema version \(found) but this version of Keel knows only up to \(known); "
                    + "use a newer Keel or another database file"
            )
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > found {
            do {
                try db.execute("BEGIN IMMEDIATE", code: .migrationFailed)
                // Another process may have migrated between our read and our lock.
                if try currentVersion() >= migration.version {
                    try db.execute("COMMIT", code: .migrationFailed)
                    continue
                }
                try db.execute(migration.sql, code: .migrationFailed)
                let insert = try db.prepare(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
                )
                try insert.bind(migration.version, at: 1)
                try insert.bind(migration.name, at: 2)
                try insert.run()
                try db.execute("COMMIT", code: .migrationFailed)
                applied.append(migration.version)
            } catch let error as StoreError {
                if !db.isAutocommit { try? db.execute("ROLLBACK") }
                throw StoreError(
                    .migrationFailed,
                    "migration \(migration.version) (\(migration.name)) failed: \(error.message)",
                    sqliteCode: error.sqliteCode
                )
            }
        }
        return applied
    }
}
