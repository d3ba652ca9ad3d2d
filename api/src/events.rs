//! Live updates: what a committed change tells the subscribers of `todoEvents`.
//!
//! A write hands its [`Notice`]s to [`Events::commit`] together with its transaction. On
//! PostgreSQL they go out through `pg_notify` inside that transaction, so PostgreSQL
//! delivers them at commit and drops them on rollback, to every instance sharing the
//! database; each instance's [`listener`] receives them on one dedicated LISTEN connection
//! and hands them to its in-process [`Hub`]. On SQLite, which only one instance can use,
//! they go straight to the hub once the commit has succeeded.
//!
//! Notices carry ids, never rows: NOTIFY payloads are limited to 8,000 bytes, and each
//! subscriber loads the todo through its own visibility rules.

mod hub;
pub mod listener;
mod notice;
mod sockets;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};

pub use self::{
    hub::{Closed, Delivery, Hub, HubLimits, Receiver},
    notice::{EventKind, Notice},
    sockets::{Owner, SessionEnd, Socket, SocketLimits, Sockets},
};
use crate::error::Result;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "todo_events";

/// Publishes the notices of committed transactions; cheap to clone.
#[derive(Clone)]
pub struct Events {
    hub: Arc<Hub>,
    through_postgres: bool,
    listening: Arc<AtomicBool>,
}

impl Events {
    /// Events for `db`: through PostgreSQL NOTIFY on PostgreSQL, in process otherwise.
    pub fn new(db: &DatabaseConnection, limits: HubLimits) -> Self {
        let through_postgres = db.get_database_backend() == DbBackend::Postgres;
        Self {
            hub: Arc::new(Hub::new(limits)),
            through_postgres,
            // In process there is nothing to wait for.
            listening: Arc::new(AtomicBool::new(!through_postgres)),
        }
    }

    /// Events for a process that only publishes, e.g. `api admin`: through PostgreSQL
    /// NOTIFY to every server instance; on SQLite to no one (servers find the change in
    /// their periodic session check).
    pub fn publisher(db: &DatabaseConnection) -> Self {
        Self::new(db, HubLimits::default())
    }

    /// The in-process fan-out to this instance's subscribers.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Whether events reach this instance: on PostgreSQL, whether its LISTEN connection is up.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Whether events cross instances through PostgreSQL (and a listener must run).
    pub fn through_postgres(&self) -> bool {
        self.through_postgres
    }

    pub(crate) fn listening_flag(&self) -> Arc<AtomicBool> {
        self.listening.clone()
    }

    /// Commits `txn` and, only if the commit succeeds, delivers `notices`.
    pub async fn commit(&self, txn: DatabaseTransaction, notices: Vec<Notice>) -> Result<()> {
        if self.through_postgres {
            notify(&txn, &notices).await?;
            txn.commit().await?;
        } else {
            txn.commit().await?;
            for notice in &notices {
                self.hub.dispatch(notice);
            }
        }
        Ok(())
    }

    /// Delivers `notices` of a change that has no transaction of its own (one statement that
    /// has already committed).
    pub async fn publish(&self, db: &DatabaseConnection, notices: Vec<Notice>) -> Result<()> {
        let txn = db.begin().await?;
        self.commit(txn, notices).await
    }
}

/// One `pg_notify` per payload; notices are packed into as few payloads as fit.
async fn notify(txn: &DatabaseTransaction, notices: &[Notice]) -> Result<()> {
    for payload in notice::pack(notices) {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}
