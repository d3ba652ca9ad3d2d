//! Reading users and changing one's own profile.

use entity::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter};

use super::{auth::taken_name, now, validate, viewer::Viewer};
use crate::error::{Error, Result};

/// A change to the viewer's profile. `None`: keep; `Some(None)`: clear (where clearable).
#[derive(Debug, Default)]
pub struct ProfileChanges {
    /// New username.
    pub username: Option<String>,
    /// New avatar URL, or `Some(None)` to remove it.
    pub avatar_url: Option<Option<String>>,
    /// New bio; `Some(None)` empties it.
    pub bio: Option<Option<String>>,
}

/// The user with this id, if any.
pub async fn find(db: &DatabaseConnection, id: i32) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user with this username, if any.
pub async fn find_by_username(
    db: &DatabaseConnection,
    username: &str,
) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::COLUMN.username.eq(username))
        .one(db)
        .await?)
}

/// Applies `changes` to the viewer's own profile and returns it.
pub async fn update_profile(
    db: &DatabaseConnection,
    viewer: &Viewer,
    changes: ProfileChanges,
) -> Result<user::Model> {
    let mut model = user::ActiveModel {
        id: Set(viewer.user_id),
        updated_at: Set(now()),
        ..Default::default()
    };
    if let Some(username) = changes.username {
        model.username = Set(validate::username(&username)?);
    }
    if let Some(avatar_url) = changes.avatar_url {
        model.avatar_url = Set(avatar_url
            .as_deref()
            .map(validate::avatar_url)
            .transpose()?);
    }
    if let Some(bio) = changes.bio {
        model.bio = Set(validate::bio(bio.as_deref().unwrap_or_default())?);
    }
    match model.update(db).await {
        Ok(user) => Ok(user),
        Err(sea_orm::DbErr::RecordNotUpdated) => Err(Error::NotFound("user")),
        Err(err) => Err(taken_name(err)),
    }
}
