//! Tags: reading them (by todo, sorted by name ignoring case; by name; as a searchable
//! list), creating missing ones race-free, and renaming them (admins). Deleting a tag
//! changes every todo that carries it, so it is a todo change:
//! [`todo::tags::delete_tag`](super::todo::tags::delete_tag).

use std::collections::HashMap;

use entity::{tag, todo_tag};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, SqlErr,
    sea_query::{Expr, Func, OnConflict, Query},
};

use super::{
    now,
    page::{Cursor, Ordering, Page, Sort, SortKey, Window},
    search, validate,
    viewer::Viewer,
};
use crate::error::{Error, Result};

/// The ordering of tag lists: by name.
pub const ORDERING: &str = Ordering::TagName.name();

const SORT: Sort = Sort {
    key_sql: r#""tags"."name""#,
    id_sql: r#""tags"."id""#,
    descending: false,
    nullable: false,
};

/// The cursor of `tag` in tag lists.
pub fn cursor(tag: &tag::Model) -> Cursor {
    Cursor {
        ordering: ORDERING.to_owned(),
        key: SortKey::Text(tag.name.clone()),
        id: tag.id,
    }
}

/// The tags of each of `todo_ids`, sorted by name ignoring case, in one statement.
pub async fn by_todo(
    db: &impl ConnectionTrait,
    todo_ids: &[i32],
) -> Result<HashMap<i32, Vec<tag::Model>>> {
    let rows = todo_tag::Entity::find()
        .find_also_related(tag::Entity)
        .filter(todo_tag::COLUMN.todo_id.is_in(todo_ids.iter().copied()))
        .order_by_asc(Expr::cust(r#"LOWER("tags"."name")"#))
        .all(db)
        .await?;
    Ok(per_todo(
        rows.into_iter()
            .filter_map(|(link, tag)| Some((link.todo_id, tag?))),
    ))
}

/// The statement behind [`by_todo`], reading `todo_tags.todo_id` and then only `columns` of
/// `tags`, for rows decoded by position; group them with [`per_todo`].
pub fn by_todo_statement(
    backend: DbBackend,
    todo_ids: &[i32],
    columns: &[tag::Column],
) -> sea_orm::Statement {
    todo_tag::Entity::find()
        .select_only()
        .column(todo_tag::Column::TodoId)
        .columns(columns.iter().copied())
        .join(JoinType::InnerJoin, todo_tag::Relation::Tag.def())
        .filter(todo_tag::COLUMN.todo_id.is_in(todo_ids.iter().copied()))
        .order_by_asc(Expr::cust(r#"LOWER("tags"."name")"#))
        .build(backend)
}

/// Each todo's tags from `(todo id, tag)` rows in name order, at most the cap per todo.
pub fn per_todo<T>(rows: impl Iterator<Item = (i32, T)>) -> HashMap<i32, Vec<T>> {
    let mut map: HashMap<i32, Vec<T>> = HashMap::new();
    for (todo_id, tag) in rows {
        let tags = map.entry(todo_id).or_default();
        // Todos tagged before the cap existed may hold more: their list is cut at the cap,
        // which is what `Todo.tags` is priced by.
        if tags.len() < validate::TAGS_PER_TODO_MAX {
            tags.push(tag);
        }
    }
    map
}

/// The tags with these ids.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, tag::Model>> {
    let tags = tag::Entity::find()
        .filter(tag::COLUMN.id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(tags.into_iter().map(|t| (t.id, t)).collect())
}

/// The tag named `name` (ignoring case), if any.
pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<tag::Model>> {
    Ok(by_name_select(name).one(db).await?)
}

/// The query behind [`by_name`].
pub fn by_name_select(name: &str) -> sea_orm::Select<tag::Entity> {
    tag::Entity::find()
        .filter(Expr::cust(r#"LOWER("tags"."name")"#).eq(Func::lower(Expr::val(name.trim()))))
}

fn search_condition(search: Option<&str>, backend: DbBackend) -> sea_orm::Condition {
    let mut all = sea_orm::Condition::all();
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        // The bare column: tags are looked up by LOWER(name), which its trigram index
        // must not serve (see search::lower_contains).
        all = all.add(search::contains(r#""tags"."name""#, search, backend));
    }
    all
}

/// A page of tags, by name, whose name contains `search` (ignoring case).
pub async fn page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    window: &Window,
) -> Result<Page<tag::Model>> {
    let select = page_select(db.get_database_backend(), search, window);
    Ok(window.finish(select.all(db).await?))
}

/// The query behind [`page`].
pub fn page_select(
    backend: DbBackend,
    search: Option<&str>,
    window: &Window,
) -> sea_orm::Select<tag::Entity> {
    super::page::keyset(
        tag::Entity::find().filter(search_condition(search, backend)),
        SORT,
        window,
    )
}

/// How many tags contain `search`.
pub async fn count(db: &impl ConnectionTrait, search: Option<&str>) -> Result<u64> {
    Ok(tag::Entity::find()
        .filter(search_condition(search, db.get_database_backend()))
        .count(db)
        .await?)
}

/// Validates tag names for a todo: trimmed, 1 to 50 characters, duplicates (ignoring case)
/// dropped, first spelling kept; at most [`validate::TAGS_PER_TODO_MAX`] remain, out of at
/// most [`validate::TAG_NAMES_MAX`] sent.
pub fn normalize_names(names: &[String], field: &'static str) -> Result<Vec<String>> {
    use validate::{TAG_NAMES_MAX, TAGS_PER_TODO_MAX};
    let too_many = || {
        Error::invalid(
            field,
            format!(
                "A todo has at most {TAGS_PER_TODO_MAX} tags (after trimming and dropping \
                 duplicates), given as at most {TAG_NAMES_MAX} names."
            ),
        )
    };
    if names.len() > TAG_NAMES_MAX {
        return Err(too_many());
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for name in names {
        let name = validate::tag_name(name, field)?;
        if seen.insert(name.to_lowercase()) {
            out.push(name);
        }
    }
    if out.len() > TAGS_PER_TODO_MAX {
        return Err(too_many());
    }
    Ok(out)
}

/// Names per statement of [`ensure`]: three parameters each keep an INSERT well inside
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters, however many names a batch brings.
const ENSURE_CHUNK: usize = 1000;

/// The tags with these names (ignoring case), creating the missing ones. Race-free: the
/// insert skips names another transaction created meanwhile (ON CONFLICT DO NOTHING on the
/// case-insensitive unique index), and the read-back sees them.
pub async fn ensure(db: &impl ConnectionTrait, names: &[String]) -> Result<Vec<tag::Model>> {
    let now = now();
    let backend = db.get_database_backend();
    let mut tags = Vec::with_capacity(names.len());
    for chunk in names.chunks(ENSURE_CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(tag::Entity)
            .columns([
                tag::Column::Name,
                tag::Column::Color,
                tag::Column::CreatedAt,
            ])
            .on_conflict(OnConflict::new().do_nothing().to_owned());
        for name in chunk {
            insert
                .values([name.clone().into(), DEFAULT_COLOR.into(), now.into()])
                .map_err(|err| Error::Internal(err.to_string()))?;
        }
        db.execute_raw(backend.build(&insert)).await?;
        // The database folds both sides: Rust's to_lowercase and SQL's LOWER disagree beyond
        // ASCII (SQLite folds ASCII only; PostgreSQL maps 'İ' to 'i'), and the unique index
        // that decided which names already exist uses LOWER.
        let lowered = chunk.iter().map(|n| Func::lower(Expr::val(n.as_str())));
        tags.extend(
            tag::Entity::find()
                .filter(Expr::cust(r#"LOWER("tags"."name")"#).is_in(lowered))
                .order_by_asc(tag::COLUMN.name)
                .all(db)
                .await?,
        );
    }
    Ok(tags)
}

/// The colour of a tag created without one.
pub const DEFAULT_COLOR: &str = "#3b82f6";

/// A unique violation on tags means the name is taken (ignoring case).
fn taken(err: DbErr, field: &'static str) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::invalid(field, "A tag with this name already exists.")
        }
        _ => Error::Database(err),
    }
}

/// Creates a tag; any signed-in user may.
pub async fn create(
    db: &impl ConnectionTrait,
    _viewer: &Viewer,
    name: &str,
    color: Option<&str>,
) -> Result<tag::Model> {
    let name = validate::tag_name(name, "name")?;
    let color = color
        .map(validate::color)
        .transpose()?
        .unwrap_or_else(|| DEFAULT_COLOR.to_owned());
    tag::ActiveModel {
        name: Set(name),
        color: Set(color),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| taken(err, "name"))
}

/// FORBIDDEN unless `viewer` is an admin: only admins change or delete tags.
pub(crate) fn require_admin(viewer: &Viewer) -> Result<()> {
    if viewer.is_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden("Only admins may change or delete tags."))
    }
}

/// Renames or recolours a tag; admins only.
pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i32,
    name: Option<&str>,
    color: Option<&str>,
) -> Result<tag::Model> {
    require_admin(viewer)?;
    let mut model = tag::ActiveModel {
        id: Set(id),
        ..Default::default()
    };
    if let Some(name) = name {
        model.name = Set(validate::tag_name(name, "name")?);
    }
    if let Some(color) = color {
        model.color = Set(validate::color(color)?);
    }
    if !model.is_changed() {
        return tag::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("tag"));
    }
    match model.update(db).await {
        Ok(tag) => Ok(tag),
        Err(DbErr::RecordNotUpdated) => Err(Error::NotFound("tag")),
        Err(err) => Err(taken(err, "name")),
    }
}
