//! A comparable picture of a live database's schema, read from its catalog: tables, columns
//! (type as the database reports it, nullability), primary keys, foreign keys and indexes.
//! The schema tests take one of a migrated database and one of a database built from the
//! entities, and compare them: our `drizzle-kit check`.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

/// Tables that belong to the tooling, not to the schema.
const IGNORED_TABLES: [&str; 2] = ["seaql_migrations", "sqlite_sequence"];

/// The schema of one database.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column name → (type, nullable).
    pub columns: BTreeMap<String, (String, bool)>,
    /// Primary key columns, in key order.
    pub primary_key: Vec<String>,
    /// Foreign keys.
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Indexes other than the primary key's, compared by shape: implicit names differ.
    pub indexes: BTreeSet<Index>,
}

/// A foreign key.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub references: String,
    /// Referenced columns.
    pub referenced_columns: Vec<String>,
    /// ON DELETE action, uppercase (`CASCADE`, `SET NULL`, `NO ACTION`, ...).
    pub on_delete: String,
}

/// An index, by shape.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    /// Indexed columns, in order.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// A partial index's predicate, normalized (lowercase, no quotes or parentheses).
    pub predicate: Option<String>,
}

/// Everything the catalog says, plus the index names (reported apart: they are not part of
/// the shape comparison).
pub async fn introspect(db: &DatabaseConnection) -> (Snapshot, BTreeSet<String>) {
    match db.get_database_backend() {
        DbBackend::Postgres => postgres(db).await,
        DbBackend::Sqlite => sqlite(db).await,
        other => panic!("no introspection for {other:?}"),
    }
}

/// The names of the tables, tooling tables included.
pub async fn table_names(db: &DatabaseConnection) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    rows(db, sql)
        .await
        .iter()
        .map(|r| text(r, "name"))
        .collect()
}

/// Lowercase, without quotes and parentheses, single-spaced: PostgreSQL rewrites
/// `a = false AND b IS NULL` as `((a = false) AND (b IS NULL))`; SQLite keeps the text.
pub fn normalize_predicate(sql: &str) -> String {
    sql.to_lowercase()
        .replace(['(', ')', '"'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The parenthesized column list of a CREATE INDEX statement, normalized.
fn expression_of(create_index: &str) -> String {
    let start = create_index.find(" (").map_or(0, |i| i + 2);
    let end = create_index.rfind(')').unwrap_or(create_index.len());
    normalize_predicate(&create_index[start..end.max(start)])
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

fn text(row: &QueryResult, column: &str) -> String {
    row.try_get::<String>("", column)
        .unwrap_or_else(|err| panic!("{column}: {err}"))
}

fn int(row: &QueryResult, column: &str) -> i64 {
    row.try_get::<i64>("", column)
        .or_else(|_| row.try_get::<i32>("", column).map(i64::from))
        .or_else(|_| row.try_get::<bool>("", column).map(i64::from))
        .unwrap_or_else(|err| panic!("{column}: {err}"))
}

fn list(row: &QueryResult, column: &str) -> Vec<String> {
    text(row, column).split(',').map(str::to_owned).collect()
}

fn keep(table: &str) -> bool {
    !IGNORED_TABLES.contains(&table)
}

async fn postgres(db: &DatabaseConnection) -> (Snapshot, BTreeSet<String>) {
    let mut snapshot = Snapshot::default();
    let mut names = BTreeSet::new();
    for row in rows(
        db,
        "SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS ty, \
                a.attnotnull AS notnull \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .await
    {
        let table = text(&row, "tbl");
        if keep(&table) {
            let nullable = int(&row, "notnull") == 0;
            snapshot
                .tables
                .entry(table)
                .or_default()
                .columns
                .insert(text(&row, "col"), (text(&row, "ty"), nullable));
        }
    }
    for row in rows(
        db,
        "SELECT t.relname AS tbl, i.relname AS name, ix.indisunique AS uniq, \
                ix.indisprimary AS pk, COALESCE(pg_get_expr(ix.indpred, ix.indrelid), '') AS pred, \
                COALESCE(pg_get_expr(ix.indexprs, ix.indrelid), \
                 (SELECT string_agg(a.attname, ',' ORDER BY k.ord) \
                  FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                  JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum)) AS cols \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public'",
    )
    .await
    {
        let table = text(&row, "tbl");
        if !keep(&table) {
            continue;
        }
        names.insert(text(&row, "name"));
        let entry = snapshot.tables.entry(table).or_default();
        if int(&row, "pk") != 0 {
            entry.primary_key = list(&row, "cols");
        } else {
            let predicate = text(&row, "pred");
            entry.indexes.insert(Index {
                columns: list(&row, "cols"),
                unique: int(&row, "uniq") != 0,
                predicate: (!predicate.is_empty()).then(|| normalize_predicate(&predicate)),
            });
        }
    }
    for row in rows(
        db,
        "SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS refs, \
                c.confdeltype::text AS del, \
                (SELECT string_agg(a.attname, ',' ORDER BY k.ord) \
                 FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols, \
                (SELECT string_agg(a.attname, ',' ORDER BY k.ord) \
                 FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS refcols \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype = 'f' AND n.nspname = 'public'",
    )
    .await
    {
        let on_delete = match text(&row, "del").as_str() {
            "c" => "CASCADE",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            "r" => "RESTRICT",
            _ => "NO ACTION",
        };
        snapshot
            .tables
            .entry(text(&row, "tbl").trim_matches('"').to_owned())
            .or_default()
            .foreign_keys
            .insert(ForeignKey {
                columns: list(&row, "cols"),
                references: text(&row, "refs").trim_matches('"').to_owned(),
                referenced_columns: list(&row, "refcols"),
                on_delete: on_delete.to_owned(),
            });
    }
    (snapshot, names)
}

async fn sqlite(db: &DatabaseConnection) -> (Snapshot, BTreeSet<String>) {
    let mut snapshot = Snapshot::default();
    let mut names = BTreeSet::new();
    for table in table_names(db).await.into_iter().filter(|t| keep(t)) {
        let mut entry = Table::default();
        let mut primary_key = Vec::new();
        for row in rows(
            db,
            &format!("SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info('{table}')"),
        )
        .await
        {
            let name = text(&row, "name");
            let nullable = int(&row, "nn") == 0;
            entry
                .columns
                .insert(name.clone(), (text(&row, "type"), nullable));
            let position = int(&row, "pk");
            if position > 0 {
                primary_key.push((position, name));
            }
        }
        primary_key.sort();
        entry.primary_key = primary_key.into_iter().map(|(_, name)| name).collect();

        let index_sql = format!(
            "SELECT l.name, l.\"unique\" AS uniq, l.origin, COALESCE(m.sql, '') AS sql \
             FROM pragma_index_list('{table}') l \
             LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name"
        );
        for row in rows(db, &index_sql).await {
            let name = text(&row, "name");
            if text(&row, "origin") == "pk" {
                continue;
            }
            // An expression column has no name; the index's SQL says what it is.
            let columns = rows(
                db,
                &format!("SELECT COALESCE(name, '') AS name FROM pragma_index_info('{name}') ORDER BY seqno"),
            )
            .await
            .iter()
            .map(|r| text(r, "name"))
            .map(|c| if c.is_empty() { expression_of(&text(&row, "sql")) } else { c })
            .collect();
            let sql = text(&row, "sql");
            let predicate = sql
                .to_lowercase()
                .find(" where ")
                .map(|at| normalize_predicate(&sql[at + " where ".len()..]));
            entry.indexes.insert(Index {
                columns,
                unique: int(&row, "uniq") != 0,
                predicate,
            });
            names.insert(name);
        }

        let mut foreign_keys: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        let fk_sql = format!(
            "SELECT id, \"table\" AS refs, \"from\" AS col, \"to\" AS refcol, on_delete \
             FROM pragma_foreign_key_list('{table}') ORDER BY id, seq"
        );
        for row in rows(db, &fk_sql).await {
            let key = foreign_keys
                .entry(int(&row, "id"))
                .or_insert_with(|| ForeignKey {
                    columns: Vec::new(),
                    references: text(&row, "refs"),
                    referenced_columns: Vec::new(),
                    on_delete: text(&row, "on_delete").to_uppercase(),
                });
            key.columns.push(text(&row, "col"));
            key.referenced_columns.push(text(&row, "refcol"));
        }
        entry.foreign_keys = foreign_keys.into_values().collect();
        snapshot.tables.insert(table, entry);
    }
    (snapshot, names)
}
