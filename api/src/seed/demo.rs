//! `api seed-demo`: a realistic sample for a newcomer to explore in GraphiQL. Two users, a
//! few hundred todos with tags, priorities, due dates (some overdue), completions, soft
//! deletes and history, and an admin. The password is new on every run and printed once.

use chrono::Duration;
use entity::{tag, todo, todo::Priority, todo_history, todo_history::TodoAction, todo_tag, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};

use crate::{
    config::AuthConfig,
    error::Result,
    service::{self, auth::SignUp, now, password::Passwords, token},
};

/// The demo accounts' login names.
pub const DEMO_USERS: [&str; 2] = ["demo", "sam"];

/// The demo admin's login name: an admin sees every user's todos. Not `admin`, which a
/// real deployment may have and a new sample must not replace.
pub const DEMO_ADMIN: &str = "demo_admin";

const TAGS: [(&str, &str); 8] = [
    ("work", "#2563eb"),
    ("home", "#16a34a"),
    ("errands", "#d97706"),
    ("health", "#dc2626"),
    ("reading", "#7c3aed"),
    ("finance", "#0891b2"),
    ("garden", "#65a30d"),
    ("travel", "#db2777"),
];

/// Verbs of generated todo titles (the benchmark's data uses them too).
const VERBS: [&str; 10] = [
    "Review",
    "Plan",
    "Call about",
    "Write",
    "Fix",
    "Buy",
    "Book",
    "Clean",
    "Read",
    "Sort out",
];
/// Objects of generated todo titles.
const THINGS: [&str; 12] = [
    "the quarterly report",
    "dentist appointment",
    "groceries",
    "the garden shed",
    "tax documents",
    "summer trip",
    "bike brakes",
    "team offsite",
    "library books",
    "insurance renewal",
    "50% off sale",
    "kitchen_sink leak",
];

/// A tiny deterministic generator: the same demo data on every run.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    /// The next number in `0..below`.
    pub(crate) fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// A todo of `user_id` created at `created`, with a title, a description (or none) and a
/// priority drawn from `rng`; completed five hours after creation when `completed`. Shared
/// by the demo and the benchmark's data.
pub(crate) fn generated_todo(
    rng: &mut Lcg,
    user_id: i32,
    created: chrono::DateTime<chrono::Utc>,
    completed: bool,
    due_date: Option<chrono::DateTime<chrono::Utc>>,
) -> todo::ActiveModel {
    let title = format!(
        "{} {}",
        VERBS[rng.next(VERBS.len() as u64) as usize],
        THINGS[rng.next(THINGS.len() as u64) as usize]
    );
    todo::ActiveModel {
        user_id: Set(user_id),
        title: Set(title),
        description: Set((rng.next(3) == 0).then(|| "Details to follow.".to_owned())),
        priority: Set([Priority::Low, Priority::Medium, Priority::High][rng.next(3) as usize]),
        completed: Set(completed),
        due_date: Set(due_date),
        completed_at: Set(completed.then(|| created + Duration::hours(5))),
        created_at: Set(created),
        updated_at: Set(created),
        version: Set(1),
        deleted_at: Set(None),
        ..Default::default()
    }
}

/// Who to log in as.
#[derive(Debug)]
pub struct DemoLogin {
    /// Login name.
    pub username: &'static str,
    /// Fresh password.
    pub password: String,
    /// The demo admin's login name; same password.
    pub admin_username: &'static str,
}

/// Loads the sample (replacing an earlier one) and returns the demo user's login.
pub async fn seed(
    db: &DatabaseConnection,
    passwords: &Passwords,
    auth: &AuthConfig,
) -> Result<DemoLogin> {
    let password = token::generate()[..16].to_owned();
    user::Entity::delete_many()
        .filter(user::COLUMN.username.is_in(DEMO_USERS))
        .exec(db)
        .await?;
    seed_admin(db, passwords, auth, &password).await?;
    let mut owners = Vec::new();
    for username in DEMO_USERS {
        let session = service::auth::sign_up(
            db,
            passwords,
            auth,
            SignUp {
                email: format!("{username}@demo.example"),
                username: username.to_owned(),
                password: password.clone(),
            },
        )
        .await?;
        owners.push(session.user);
    }

    let txn = db.begin().await?;
    let mut tags = Vec::new();
    for (name, color) in TAGS {
        let existing = tag::Entity::find()
            .filter(tag::COLUMN.name.eq(name))
            .one(&txn)
            .await?;
        tags.push(match existing {
            Some(tag) => tag,
            None => {
                tag::ActiveModel {
                    name: Set(name.to_owned()),
                    color: Set(color.to_owned()),
                    created_at: Set(now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        });
    }

    let mut rng = Lcg(42);
    let start = now() - Duration::days(60);
    let mut new_todos = Vec::new();
    for n in 0..300_u64 {
        let owner = &owners[usize::from(n % 3 == 0)];
        let created = start + Duration::minutes((n * 280 + rng.next(200)) as i64);
        let completed = rng.next(10) < 4;
        let due_date =
            (rng.next(4) == 0).then(|| created + Duration::days(rng.next(60) as i64 - 10));
        let mut new_todo = generated_todo(&mut rng, owner.id, created, completed, due_date);
        new_todo.deleted_at = Set((rng.next(25) == 0).then(|| created + Duration::days(1)));
        new_todos.push(new_todo);
    }
    todo::Entity::insert_many(new_todos).exec(&txn).await?;
    let todos = todo::Entity::find()
        .filter(todo::COLUMN.user_id.is_in(owners.iter().map(|o| o.id)))
        .all(&txn)
        .await?;

    let mut links = Vec::new();
    let mut history = Vec::new();
    for todo in &todos {
        let first = rng.next(TAGS.len() as u64) as usize;
        for tag in tags.iter().cycle().skip(first).take(rng.next(4) as usize) {
            links.push(todo_tag::ActiveModel {
                todo_id: Set(todo.id),
                tag_id: Set(tag.id),
                todo_created_at: Set(todo.created_at),
            });
        }
        let mut actions = vec![TodoAction::Created];
        if todo.completed {
            actions.push(TodoAction::Completed);
        }
        if todo.deleted_at.is_some() {
            actions.push(TodoAction::Deleted);
        }
        for (i, action) in actions.into_iter().enumerate() {
            history.push(todo_history::ActiveModel {
                todo_id: Set(todo.id),
                action: Set(action),
                actor_id: Set(Some(todo.user_id)),
                created_at: Set(todo.created_at + Duration::hours(5 * i as i64)),
                ..Default::default()
            });
        }
    }
    todo_tag::Entity::insert_many(links).exec(&txn).await?;
    todo_history::Entity::insert_many(history)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(DemoLogin {
        username: DEMO_USERS[0],
        password,
        admin_username: DEMO_ADMIN,
    })
}

/// (Re)creates the demo admin with `password`.
async fn seed_admin(
    db: &DatabaseConnection,
    passwords: &Passwords,
    auth: &AuthConfig,
    password: &str,
) -> Result<()> {
    user::Entity::delete_many()
        .filter(user::COLUMN.username.eq(DEMO_ADMIN))
        .exec(db)
        .await?;
    service::auth::sign_up(
        db,
        passwords,
        auth,
        SignUp {
            email: format!("{DEMO_ADMIN}@demo.example"),
            username: DEMO_ADMIN.to_owned(),
            password: password.to_owned(),
        },
    )
    .await?;
    service::admin::set_role(db, DEMO_ADMIN, user::Role::Admin).await?;
    Ok(())
}
