//! The admin role, managed from the command line (`api admin grant|revoke <username>`):
//! there is deliberately no GraphQL mutation for it, so that no token can make an admin.

use entity::user::{self, Role};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter};

use super::now;
use crate::error::{Error, Result};

/// What [`set_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    /// The user had another role and now has the one asked for.
    Changed,
    /// The user already had the role; nothing was written.
    Unchanged,
}

/// Gives the user `username` the role `role`. Idempotent. An unknown username is
/// NOT_FOUND; the change applies to the user's open sessions from their next request.
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
    user::ActiveModel {
        id: Set(found.id),
        role: Set(role),
        updated_at: Set(now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(RoleChange::Changed)
}
