//! Reading users and changing one's own profile.

use std::collections::HashMap;

use entity::user;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    auth::taken_name,
    now,
    page::{Cursor, Ordering, Page, Sort, SortKey, Window},
    validate,
    viewer::Viewer,
};
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
    Ok(by_username_select(username).one(db).await?)
}

/// The query behind [`find_by_username`].
pub fn by_username_select(username: &str) -> sea_orm::Select<user::Entity> {
    user::Entity::find().filter(user::COLUMN.username.eq(username))
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

/// The ordering of user lists: by username.
pub const ORDERING: &str = Ordering::UserUsername.name();

const SORT: Sort = Sort {
    key_sql: r#""users"."username""#,
    id_sql: r#""users"."id""#,
    descending: false,
    nullable: false,
};

/// The cursor of `user` in user lists.
pub fn cursor(user: &user::Model) -> Cursor {
    Cursor {
        ordering: ORDERING.to_owned(),
        key: SortKey::Text(user.username.clone()),
        id: user.id,
    }
}

/// The users with these ids.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, user::Model>> {
    let users = by_ids_select(ids).all(db).await?;
    Ok(users.into_iter().map(|u| (u.id, u)).collect())
}

/// The query behind [`by_ids`].
pub fn by_ids_select(ids: &[i32]) -> sea_orm::Select<user::Entity> {
    user::Entity::find().filter(user::COLUMN.id.is_in(ids.iter().copied()))
}

fn search_condition(search: Option<&str>) -> Condition {
    let mut all = Condition::all();
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        // LOWER: usernames are also looked up by equality, which their trigram index
        // (on LOWER(username)) must not serve.
        all = all.add(super::search::lower_contains(
            r#""users"."username""#,
            search,
        ));
    }
    all
}

/// A page of users, by username, whose username contains `search` (ignoring case).
pub async fn page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    window: &Window,
) -> Result<Page<user::Model>> {
    Ok(window.finish(page_select(search, window).all(db).await?))
}

/// The query behind [`page`].
pub fn page_select(search: Option<&str>, window: &Window) -> sea_orm::Select<user::Entity> {
    super::page::keyset(
        user::Entity::find().filter(search_condition(search)),
        SORT,
        window,
    )
}

/// How many users contain `search`.
pub async fn count(db: &impl ConnectionTrait, search: Option<&str>) -> Result<u64> {
    Ok(user::Entity::find()
        .filter(search_condition(search))
        .count(db)
        .await?)
}
