//! Reading tags: by todo (sorted by name), by name, and as a searchable list.

use std::collections::HashMap;

use entity::{tag, todo_tag};
use sea_orm::{
    ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::page::{Cursor, Page, Sort, SortKey, Window};
use crate::error::Result;

/// The ordering of tag lists: by name.
pub const ORDERING: &str = "tag:name";

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

/// The tags of each of `todo_ids`, sorted by name, in one statement.
pub async fn by_todo(
    db: &impl ConnectionTrait,
    todo_ids: &[i32],
) -> Result<HashMap<i32, Vec<tag::Model>>> {
    let rows = todo_tag::Entity::find()
        .find_also_related(tag::Entity)
        .filter(todo_tag::COLUMN.todo_id.is_in(todo_ids.iter().copied()))
        .order_by_asc(tag::COLUMN.name)
        .all(db)
        .await?;
    let mut map: HashMap<i32, Vec<tag::Model>> = HashMap::new();
    for (link, tag) in rows {
        if let Some(tag) = tag {
            map.entry(link.todo_id).or_default().push(tag);
        }
    }
    Ok(map)
}

/// The tags with these ids.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, tag::Model>> {
    let tags = tag::Entity::find()
        .filter(tag::COLUMN.id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(tags.into_iter().map(|t| (t.id, t)).collect())
}

/// The tag named `name`, if any.
pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find()
        .filter(tag::COLUMN.name.eq(name.trim()))
        .one(db)
        .await?)
}

fn search_condition(search: Option<&str>) -> sea_orm::Condition {
    let mut all = sea_orm::Condition::all();
    if let Some(search) = search.filter(|s| !s.is_empty()) {
        all = all.add(Expr::cust_with_values(
            r#"LOWER("tags"."name") LIKE ? ESCAPE '\'"#,
            [super::todo_list::like_pattern(&search.to_lowercase())],
        ));
    }
    all
}

/// A page of tags, by name, whose name contains `search` (ignoring case).
pub async fn page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    window: &Window,
) -> Result<Page<tag::Model>> {
    let sort = SORT.for_window(window);
    let mut select = tag::Entity::find().filter(search_condition(search));
    if let Some(cursor) = &window.cursor {
        select = select.filter(sort.after(cursor));
    }
    for (expr, order) in sort.order_by() {
        select = select.order_by(expr, order);
    }
    Ok(window.finish(select.limit(window.fetch()).all(db).await?))
}

/// How many tags contain `search`.
pub async fn count(db: &impl ConnectionTrait, search: Option<&str>) -> Result<u64> {
    Ok(tag::Entity::find()
        .filter(search_condition(search))
        .count(db)
        .await?)
}
