//! `api seed-bench`: the benchmark's data set, the same on every run for the same sizes.
//! N users with 25 todos each (40 % completed, mixed priorities, a quarter with due dates,
//! some overdue), 100 tags and 0–3 tags per todo, and one admin who sees everything.
//!
//! Rows go in with multi-row INSERTs in chunks inside one transaction: N = 20,000 is half a
//! million todos, which row-at-a-time inserts would take many minutes to write.

use chrono::{DateTime, Duration, Utc};
use entity::{tag, todo, todo_tag, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::{
    error::{Error, Result},
    seed::demo::{Lcg, generated_todo},
    service::{now, password::Passwords, preferences::default_preferences},
};

/// Every benchmark user's password (the data is for load tests, never for real accounts).
pub const BENCH_PASSWORD: &str = "bench-password";

/// The benchmark's admin: with its token every todo is visible.
pub const BENCH_ADMIN: &str = "bench_admin";

/// Rows per multi-row INSERT: under both databases' bind-parameter limits for the widest
/// table (todos, 11 columns: 22,000 parameters).
const CHUNK: usize = 2_000;

/// How big the data set is.
#[derive(Debug, Clone, Copy)]
pub struct BenchSize {
    /// Users (besides the admin).
    pub users: u32,
    /// Todos per user.
    pub todos_per_user: u32,
    /// Tags shared by all todos.
    pub tags: u32,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchCounts {
    /// Users, the admin included.
    pub users: u64,
    /// Todos.
    pub todos: u64,
    /// Tags.
    pub tags: u64,
    /// Todo–tag links.
    pub links: u64,
}

/// The username of benchmark user `n` (1-based): `user00001`, `user00002`, ...
pub fn username(n: u32) -> String {
    format!("user{n:05}")
}

/// The name of benchmark tag `n` (1-based): `tag001`, ...
pub fn tag_name(n: u32) -> String {
    format!("tag{n:03}")
}

/// Loads the data set into an empty, migrated database.
pub async fn seed(
    db: &DatabaseConnection,
    passwords: &Passwords,
    size: BenchSize,
) -> Result<BenchCounts> {
    if user::Entity::find().count(db).await? > 0 {
        return Err(Error::BadUserInput {
            field: None,
            message: "seed-bench needs an empty database: this one already has users".to_owned(),
        });
    }
    // One hash for everyone: argon2 is deliberately slow, and 20,000 of them would take
    // longer than the rest of the seeding together.
    let password_hash = passwords.hash(BENCH_PASSWORD.to_owned()).await?;
    let now = now();
    let mut rng = Lcg(2_000);
    let txn = db.begin().await?;

    let users: Vec<_> = (0..=size.users)
        .map(|n| {
            let (name, role) = match n {
                0 => (BENCH_ADMIN.to_owned(), user::Role::Admin),
                n => (username(n), user::Role::User),
            };
            user::ActiveModel {
                email: Set(format!("{name}@bench.example")),
                username: Set(name),
                password_hash: Set(password_hash.clone()),
                bio: Set(String::new()),
                is_active: Set(true),
                role: Set(role),
                created_at: Set(now - Duration::days(120)),
                updated_at: Set(now - Duration::days(120)),
                ..Default::default()
            }
        })
        .collect();
    insert_chunked(&txn, users).await?;
    let user_ids = ids::<user::Entity>(&txn, user::Column::Id).await?;
    let preferences = user_ids.iter().map(|&user_id| default_preferences(user_id));
    insert_chunked(&txn, preferences.collect()).await?;

    let tags = (1..=size.tags).map(|n| tag::ActiveModel {
        name: Set(tag_name(n)),
        color: Set(format!("#{:06x}", (n * 2_654_435) & 0xff_ffff)),
        created_at: Set(now - Duration::days(120)),
        ..Default::default()
    });
    insert_chunked(&txn, tags.collect()).await?;
    let tag_ids = ids::<tag::Entity>(&txn, tag::Column::Id).await?;

    // The admin (the first user) owns no todos.
    let mut todos = Vec::new();
    for &user_id in user_ids.iter().skip(1) {
        for _ in 0..size.todos_per_user {
            todos.push(bench_todo(&mut rng, user_id, now));
        }
    }
    insert_chunked(&txn, todos).await?;
    // Each link carries its todo's creation time (the index of a tag's newest todos).
    let todo_ids: Vec<(i32, DateTime<Utc>)> = todo::Entity::find()
        .select_only()
        .column(todo::Column::Id)
        .column(todo::Column::CreatedAt)
        .order_by_asc(todo::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;

    let mut links = Vec::new();
    if !tag_ids.is_empty() {
        for &(todo_id, created_at) in &todo_ids {
            let first = rng.next(tag_ids.len() as u64) as usize;
            let count = (rng.next(4) as usize).min(tag_ids.len());
            for &tag_id in tag_ids.iter().cycle().skip(first).take(count) {
                links.push(todo_tag::ActiveModel {
                    todo_id: Set(todo_id),
                    tag_id: Set(tag_id),
                    todo_created_at: Set(created_at),
                });
            }
        }
    }
    let link_count = links.len() as u64;
    insert_chunked(&txn, links).await?;
    txn.commit().await?;
    // Fresh statistics and flushed GIN pending lists, so that the first runs are planned as
    // the later ones will be, instead of waiting for autovacuum to notice half a million
    // new rows (VACUUM runs outside a transaction, which execute_unprepared allows; SQLite
    // has no GIN indexes and its VACUUM takes no ANALYZE).
    let maintain = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(maintain).await?;
    Ok(BenchCounts {
        users: user_ids.len() as u64,
        todos: todo_ids.len() as u64,
        tags: tag_ids.len() as u64,
        links: link_count,
    })
}

/// One generated todo of `user_id`: created within the last 90 days, 40 % completed, a
/// quarter with a due date between 20 days ago and 40 days ahead (so some are overdue).
fn bench_todo(rng: &mut Lcg, user_id: i32, now: DateTime<Utc>) -> todo::ActiveModel {
    let created = now - Duration::minutes(rng.next(90 * 24 * 60) as i64 + 60);
    let completed = rng.next(10) < 4;
    let due_date =
        (rng.next(4) == 0).then(|| now + Duration::hours(rng.next(60 * 24) as i64 - 20 * 24));
    generated_todo(rng, user_id, created, completed, due_date)
}

/// The ids of every row of `E` (a table the seeding just filled), in insertion order.
async fn ids<E: EntityTrait>(txn: &DatabaseTransaction, id: E::Column) -> Result<Vec<i32>> {
    Ok(E::find()
        .select_only()
        .column(id)
        .order_by_asc(id)
        .into_tuple()
        .all(txn)
        .await?)
}

/// Inserts `rows` with one multi-row INSERT per [`CHUNK`] rows.
async fn insert_chunked<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
