//! PostgreSQL table locks from a second session, to hold a server's requests at a known
//! point (in flight, inside a transaction) for as long as a test needs.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};

/// A table locked by another session: statements that touch it wait, holding their
/// connection and their transaction open, until [`TableLock::release`].
pub struct TableLock(DatabaseTransaction);

impl TableLock {
    /// Locks `table` (ACCESS EXCLUSIVE) in a transaction of its own on `db`.
    pub async fn take(db: &DatabaseConnection, table: &str) -> Self {
        let txn = db.begin().await.expect("begin");
        txn.execute_unprepared(&format!("LOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE"))
            .await
            .expect("lock the table");
        Self(txn)
    }

    /// Ends the transaction, and with it the lock.
    pub async fn release(self) {
        self.0.rollback().await.expect("release the lock");
    }
}

/// Waits until exactly `count` sessions wait for a lock in a statement starting with
/// `statement`.
pub async fn wait_for_lock_waiters(db: &DatabaseConnection, count: i64, statement: &str) {
    let sql = format!(
        "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND query LIKE '{statement}%'"
    );
    let mut waiting = 0;
    for _ in 0..300 {
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
            .await
            .expect("read pg_stat_activity");
        waiting = rows[0].try_get::<i64>("", "waiting").expect("a count");
        if waiting == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {count} sessions waiting in {statement:?}, saw {waiting}");
}
