/**
 * Schema versions of the SQLite store, applied in order and recorded in `PRAGMA user_version`. Never edit a
 * released migration: add the next one. Tables mirror the older engine's DynamoDB tables (partition + sort key);
 * each record is a JSON body, with the fields lists filter on copied into indexed columns.
 */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE modules (
        partition_key TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        package_name TEXT,
        PRIMARY KEY (partition_key, sort_key)
      ) WITHOUT ROWID;
      CREATE INDEX modules_package ON modules (partition_key, package_name, sort_key);

      CREATE TABLE functions (
        partition_key TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        mcp_type TEXT, module_name TEXT, class_name TEXT, function_name TEXT,
        PRIMARY KEY (partition_key, sort_key)
      ) WITHOUT ROWID;
      CREATE INDEX functions_type ON functions (partition_key, mcp_type, sort_key);
      CREATE INDEX functions_module ON functions (partition_key, module_name, sort_key);

      CREATE TABLE calls (
        partition_key TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        mcp_type TEXT, name TEXT, status TEXT,
        PRIMARY KEY (partition_key, sort_key)
      ) WITHOUT ROWID;
      CREATE INDEX calls_type ON calls (partition_key, mcp_type, sort_key);
      CREATE INDEX calls_name ON calls (partition_key, name, sort_key);
      CREATE INDEX calls_status ON calls (partition_key, status, sort_key);
      CREATE INDEX calls_updated ON calls (partition_key, updated_at);

      CREATE TABLE settings (
        partition_key TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (partition_key, sort_key)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Nearly every call record is a completed tool call. Indexing those by status or by type costs every insert a
    // B-tree update (about a fifth of the writer's time per row) and serves no query: a filter that matches most of
    // a partition reads it in sort-key order anyway. These indexes keep only the rare rows, and the queries that
    // filter on them add the index's condition (PARTIAL_INDEXES in sqlite-where.ts) so SQLite can use them.
    version: 2,
    sql: `
      DROP INDEX calls_type;
      DROP INDEX calls_status;
      CREATE INDEX calls_type ON calls (partition_key, mcp_type, sort_key) WHERE mcp_type <> 'tool';
      CREATE INDEX calls_status ON calls (partition_key, status, sort_key) WHERE status <> 'completed';
    `,
  },
  {
    // Call records as a rowid table: a new record is appended at the end of the table whatever its endpoint, where
    // clustering by (partition, key) put each endpoint's records on a page of their own, so that every group commit
    // rewrote one page per endpoint it touched. With a hundred endpoints recording, that cost the writer about a
    // third more per record (sqlite micro-benchmark: 25.6 → 17 µs of CPU per row; one endpoint: unchanged). The key
    // becomes a unique index. Rows are copied in time order, so the rowid order stays the calls' order. The copy
    // takes about 10 s per million records (measured here), once, at the first start after the upgrade.
    version: 3,
    sql: `
      CREATE TABLE calls_v3 (
        partition_key TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        mcp_type TEXT, name TEXT, status TEXT
      );
      INSERT INTO calls_v3 (partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status)
        SELECT partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status
        FROM calls ORDER BY created_at, sort_key;
      DROP TABLE calls;
      ALTER TABLE calls_v3 RENAME TO calls;
      CREATE UNIQUE INDEX calls_key ON calls (partition_key, sort_key);
      CREATE INDEX calls_type ON calls (partition_key, mcp_type, sort_key) WHERE mcp_type <> 'tool';
      CREATE INDEX calls_name ON calls (partition_key, name, sort_key);
      CREATE INDEX calls_status ON calls (partition_key, status, sort_key) WHERE status <> 'completed';
      CREATE INDEX calls_updated ON calls (partition_key, updated_at);
    `,
  },
  {
    // Call records written by the writer thread from now on have array bodies (call-body.ts), which an mcpd from
    // before this version cannot read: the version tells it (a newer file is refused at open). Nothing to convert:
    // bodies of either shape are read.
    version: 4,
    sql: `SELECT 1;`,
  },
];
