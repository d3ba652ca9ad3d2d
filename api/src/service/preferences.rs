//! The users' preferences rows.

use entity::user_preferences;
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::{Error, Result};

/// The preferences of `user_id`. Every user has a row (sign-up writes it), so a missing
/// one is the server's fault.
pub async fn for_user(db: &DatabaseConnection, user_id: i32) -> Result<user_preferences::Model> {
    user_preferences::Entity::find()
        .filter(user_preferences::COLUMN.user_id.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(format!("user {user_id} has no preferences row")))
}

/// The preferences of each of `user_ids`, in one statement.
pub async fn by_user_ids(
    db: &impl sea_orm::ConnectionTrait,
    user_ids: &[i32],
) -> Result<std::collections::HashMap<i32, user_preferences::Model>> {
    let rows = user_preferences::Entity::find()
        .filter(
            user_preferences::COLUMN
                .user_id
                .is_in(user_ids.iter().copied()),
        )
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| (p.user_id, p)).collect())
}
