//! The users' preferences rows.

use entity::user_preferences;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::{Error, Result};

/// The preferences row a new user starts with: the system theme and the default
/// notification and layout settings.
pub fn default_preferences(user_id: i32) -> user_preferences::ActiveModel {
    user_preferences::ActiveModel {
        user_id: Set(user_id),
        theme: Set(user_preferences::Theme::System),
        notifications: Set(Default::default()),
        layout: Set(Default::default()),
        ..Default::default()
    }
}

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

/// A change to preferences: absent fields keep their value; nested settings merge.
#[derive(Debug, Default, Clone)]
pub struct PreferenceChanges {
    /// New theme.
    pub theme: Option<user_preferences::Theme>,
    /// Notification settings to change.
    pub email: Option<bool>,
    /// Push notifications.
    pub push: Option<bool>,
    /// Notification frequency.
    pub frequency: Option<user_preferences::NotificationFrequency>,
    /// Show the sidebar.
    pub sidebar: Option<bool>,
    /// Dense lists.
    pub compact: Option<bool>,
}

/// Merges `changes` into the viewer's preferences. The row is read under a lock (PostgreSQL)
/// and the whole change retried on a lost race, so concurrent partial updates both land.
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    viewer: &super::viewer::Viewer,
    changes: PreferenceChanges,
) -> Result<user_preferences::Model> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, QuerySelect};
    super::retry::with_retry(|| async {
        let txn = super::begin_write(db).await?;
        let current = user_preferences::Entity::find()
            .filter(user_preferences::COLUMN.user_id.eq(viewer.user_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!("user {} has no preferences row", viewer.user_id))
            })?;
        let mut notifications = current.notifications.clone();
        notifications.email = changes.email.unwrap_or(notifications.email);
        notifications.push = changes.push.unwrap_or(notifications.push);
        notifications.frequency = changes.frequency.unwrap_or(notifications.frequency);
        let mut layout = current.layout.clone();
        layout.sidebar = changes.sidebar.unwrap_or(layout.sidebar);
        layout.compact = changes.compact.unwrap_or(layout.compact);
        let updated = user_preferences::ActiveModel {
            id: Set(current.id),
            theme: Set(changes.theme.unwrap_or(current.theme)),
            notifications: Set(notifications),
            layout: Set(layout),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        txn.commit().await?;
        Ok(updated)
    })
    .await
}
