//! The admin role, managed from the command line (`api admin grant|revoke <username>`):
//! there is deliberately no GraphQL mutation for it, so that no token can make an admin.

use entity::user::{self, Role};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter};

use super::now;
use crate::{
    error::{Error, Result},
    events::{Events, Notice},
};

/// What [`set_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    /// The user had another role and now has the one asked for.
    Changed,
    /// The user already had the role; nothing was written.
    Unchanged,
}

/// Gives the user `username` the role `role`. Idempotent. An unknown username is
/// NOT_FOUND. HTTP requests see the new role from their next request; open WebSockets of
/// the user close (4401) so that clients reconnect as who they now are: at once on
/// PostgreSQL (a notice to every instance, sent with the change), by the servers' next
/// session check on SQLite (this command is another process).
pub async fn set_role(db: &DatabaseConnection, username: &str, role: Role) -> Result<RoleChange> {
    let Some(found) = user::Entity::find()
        .filter(user::COLUMN.username.eq(username))
        .one(db)
        .await?
    else {
        return Err(Error::NotFound("user"));
    };
    if found.role == role {
        return Ok(RoleChange::Unchanged);
    }
    let txn = super::begin_write(db).await?;
    user::ActiveModel {
        id: Set(found.id),
        role: Set(role),
        updated_at: Set(now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let notice = Notice::AccountChanged { user_id: found.id };
    Events::publisher(db).commit(txn, vec![notice]).await?;
    Ok(RoleChange::Changed)
}
