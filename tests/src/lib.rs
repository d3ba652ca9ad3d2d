//! The end-to-end harness: a fresh database per test ([`test_db`]) and the real server
//! talking HTTP ([`test_app`]). The tests live in one binary, `tests/tests/suite/`, a module
//! per domain.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failure is a failed test"
)]

pub mod bench;
pub mod connection;
pub mod cursors;
pub mod fault_proxy;
pub mod fixtures;
pub mod schema_snapshot;
pub mod server_process;
pub mod socket;
pub mod table_lock;
pub mod test_app;
pub mod test_db;
pub mod test_redis;

pub use test_db::{Backend, TestDb};

/// Declares `<name>::sqlite` and `<name>::postgres` tests, each of which starts a
/// [`TestApp`](test_app::TestApp) on its backend and runs `async fn <name>(app: TestApp)`.
/// When the backend is not available here the test skips, saying so: PostgreSQL without
/// TEST_DATABASE_URL, unless CI=true, which makes that a failure (see [`TestDb::create`]).
///
/// - `both_backends!(name)`: the default configuration.
/// - `both_backends!(name, |config| ...)`: the configuration adjusted first (an
///   `FnOnce(&mut api::Config)`; it may name the test module's items).
/// - `both_backends!(backend name)`: runs `async fn <name>(backend: Backend)` instead, for
///   tests that start their servers themselves (two instances, a proxy, a manifest).
#[macro_export]
macro_rules! both_backends {
    (backend $name:ident) => {
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
    ($name:ident) => {
        $crate::both_backends!($name, |_| {});
    };
    ($name:ident, $configure:expr) => {
        mod $name {
            #[allow(
                unused_imports,
                reason = "the configuration is written in the test module, and may name its items"
            )]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::test_app::run($crate::Backend::Sqlite, $configure, super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::test_app::run($crate::Backend::Postgres, $configure, super::$name).await;
            }
        }
    };
}
