//! The end-to-end harness: a fresh database per test ([`test_db`]) and the real server
//! talking HTTP ([`test_app`]). Tests live in `tests/tests/`, one file per domain.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failure is a failed test"
)]

pub mod bench;
pub mod fault_proxy;
pub mod fixtures;
pub mod schema_snapshot;
pub mod server_process;
pub mod socket;
pub mod table_lock;
pub mod test_app;
pub mod test_db;

pub use test_db::{Backend, TestDb};

/// Declares `<name>_sqlite` and `<name>_postgres` tests that run `async fn <name>(Backend)`.
/// The PostgreSQL one skips (saying so) without TEST_DATABASE_URL, unless CI=true.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        $crate::__paste_backends!($name);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __paste_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await;
            }
        }
    };
}
