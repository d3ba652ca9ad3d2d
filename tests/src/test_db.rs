//! A fresh, empty database for each test, so tests run in parallel: a temporary SQLite file,
//! or a PostgreSQL database created through TEST_DATABASE_URL. Both are removed on drop.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server (TEST_DATABASE_URL).
    Postgres,
}

/// One test's database.
pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// A new empty (not migrated) database; `None` when `backend` is PostgreSQL and
    /// TEST_DATABASE_URL is unset outside CI. In CI (CI=true) a missing or unreachable
    /// PostgreSQL panics: it must never pass as a skip there.
    pub async fn create(backend: Backend) -> Option<Self> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                Some(Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    backend,
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres => {
                let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
                let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                    assert!(!in_ci, "CI=true but TEST_DATABASE_URL is not set");
                    eprintln!("skipped: PostgreSQL variant (set TEST_DATABASE_URL to run it)");
                    return None;
                };
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .unwrap_or_else(|err| {
                        panic!("PostgreSQL at TEST_DATABASE_URL is unreachable: {err}")
                    });
                admin
                    // A fixed locale, whatever the cluster's default: the order tests expect
                    // titles sorted by code point (as SQLite sorts them), and the search tests
                    // expect ILIKE to fold non-ASCII letters, which C.UTF-8 gives both.
                    .execute_unprepared(&format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
                         LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                    ))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                Some(Self {
                    url: with_database(&admin_url, &name),
                    backend,
                    cleanup: Cleanup::Database { admin_url, name },
                })
            }
        }
    }

    /// The database's URL, as DATABASE_URL would hold it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend it is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A small connection pool to it.
    pub async fn connect(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url.clone());
        options
            .max_connections(2)
            .min_connections(0)
            .sqlx_logging(false);
        Database::connect(options)
            .await
            .expect("connect to the test database")
    }
}

/// `admin_url` with its database name replaced by `name`.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Database { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot be blocked on; a thread
                // with its own runtime can.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                });
                let _ = dropped.join();
            }
        }
    }
}
