//! The ground the properties play on: a server, an attacker with a token and todos of their
//! own, a victim whose rows must come out untouched, and the checks every response passes.

use std::sync::Mutex;

use entity::{tag, todo, todo_history, todo_tag, user, user_preferences};
use proptest::{
    prop_assert, prop_assert_eq, prop_assert_ne,
    test_runner::{Config, TestCaseError, TestCaseResult, TestError, TestRunner},
};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tests::{
    Backend,
    fixtures::{self, NewTodo},
    test_app::TestApp,
};

/// Cases per property: enough to hit every operation several times, few enough that the
/// file runs in well under a minute per backend.
pub const CASES: u32 = 64;

/// What a property needs: the server, the attacker's token and IDs, the victim's IDs.
pub struct Arena {
    /// The server under attack.
    pub app: TestApp,
    /// The attacker's bearer token.
    pub token: String,
    /// Global IDs the attacker may try: their own todos, the victim's todos, users and
    /// tags, so that "IDs of other users' todos" and "IDs of the wrong type" come up often.
    pub known_ids: Vec<String>,
    /// Real cursors of every list, so that cursors of another list or ordering come up.
    pub known_cursors: Vec<String>,
    victim_id: i32,
    victim_todos: Vec<i32>,
    snapshot: String,
    messages: Mutex<Vec<String>>,
}

/// Every error message that could reveal the server's insides. SQL keywords are matched with
/// their case (the messages may say "update" in prose); the rest in any case.
const LEAKS_SQL: &[&str] = &["SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", " WHERE "];
const LEAKS_ANY_CASE: &[&str] = &[
    "sqlx",
    "sea_orm",
    "sea-orm",
    "sqlstate",
    "constraint",
    "duplicate key",
    "violates",
    "syntax error at or near",
    "no such column",
    "no such table",
    "unique constraint failed",
    "panicked",
    "stack backtrace",
    ".rs:",
    "postgres",
    "sqlite",
    "database",
    "pool timed out",
    "connection refused",
];

impl Arena {
    /// Starts the server on `backend` and arranges the users; `None` when the backend is not
    /// available here.
    pub async fn start(backend: Backend) -> Option<Self> {
        let app = TestApp::start(backend).await?;
        let (token, attacker_gid) = app.sign_up("mallory").await;
        let (_, victim_gid) = app.sign_up("victim").await;
        let db = app.db();
        let attacker = user_model(&app, "mallory").await;
        let victim = user_model(&app, "victim").await;
        let work = fixtures::tag(db, "work").await;
        let home = fixtures::tag(db, "Home").await;
        let mut victim_todos = Vec::new();
        let mut known_ids = vec![attacker_gid, victim_gid];
        for (i, (owner, tag)) in [
            (&victim, &work),
            (&victim, &home),
            (&attacker, &work),
            (&victim, &work),
            (&attacker, &home),
        ]
        .into_iter()
        .enumerate()
        {
            let new = NewTodo {
                completed: i == 3,
                deleted: i == 1,
                due_date: (i % 2 == 0).then(|| fixtures::at(60 * 24 * 400)),
                ..NewTodo::new(&format!("todo {i}"), i as i64)
            };
            let todo = fixtures::todo(db, owner, new).await;
            fixtures::tag_todo(db, &todo, tag).await;
            let entry = fixtures::history(
                db,
                &todo,
                todo_history::TodoAction::Created,
                owner,
                i as i64,
            )
            .await;
            if owner.id == victim.id {
                victim_todos.push(todo.id);
            }
            known_ids.push(gid("Todo", todo.id));
            known_ids.push(gid("TodoHistoryEntry", entry.id));
        }
        known_ids.push(gid("Tag", work.id));
        known_ids.push(gid("Tag", home.id));
        let mut arena = Self {
            app,
            token,
            known_ids,
            known_cursors: Vec::new(),
            victim_id: victim.id,
            victim_todos,
            snapshot: String::new(),
            messages: Mutex::new(Vec::new()),
        };
        arena.snapshot = arena.victim_snapshot().await;
        arena.known_cursors = arena.real_cursors().await;
        Some(arena)
    }

    /// Everything of the victim's, read straight from the database.
    async fn victim_snapshot(&self) -> String {
        let db = self.app.db();
        let mine = |id: &i32| self.victim_todos.contains(id);
        let user = user::Entity::find_by_id(self.victim_id).one(db).await;
        let preferences = user_preferences::Entity::find().all(db).await.map(|rows| {
            rows.into_iter()
                .filter(|p| p.user_id == self.victim_id)
                .collect::<Vec<_>>()
        });
        let mut todos = todo::Entity::find().all(db).await.expect("todos");
        todos.retain(|t| mine(&t.id));
        todos.sort_by_key(|t| t.id);
        let mut links = todo_tag::Entity::find().all(db).await.expect("todo_tags");
        links.retain(|l| mine(&l.todo_id));
        links.sort_by_key(|l| (l.todo_id, l.tag_id));
        let mut tags = tag::Entity::find().all(db).await.expect("tags");
        tags.retain(|t| links.iter().any(|l| l.tag_id == t.id));
        tags.sort_by_key(|t| t.id);
        let mut history = todo_history::Entity::find().all(db).await.expect("history");
        history.retain(|h| mine(&h.todo_id));
        history.sort_by_key(|h| h.id);
        format!("{user:?}\n{preferences:?}\n{todos:?}\n{links:?}\n{tags:?}\n{history:?}")
    }

    async fn real_cursors(&self) -> Vec<String> {
        let mut cursors = Vec::new();
        for field in ["CREATED_AT", "UPDATED_AT", "DUE_DATE", "PRIORITY", "TITLE"] {
            let body = self
                .send(json!({
                    "query": "query($o: TodoOrder) { todos(first: 2, orderBy: $o) {
                        edges { cursor node { history(first: 1) { edges { cursor } } } } } }",
                    "variables": { "o": { "field": field } },
                }))
                .await
                .expect("the server answers");
            for edge in body["data"]["todos"]["edges"]
                .as_array()
                .into_iter()
                .flatten()
            {
                cursors.push(edge["cursor"].as_str().expect("a cursor").to_owned());
                let history = &edge["node"]["history"]["edges"][0]["cursor"];
                cursors.extend(history.as_str().map(str::to_owned));
            }
        }
        let body = self
            .send(json!({ "query": "{ tags { edges { cursor } } users { edges { cursor } } }" }))
            .await
            .expect("the server answers");
        for list in ["tags", "users"] {
            for edge in body["data"][list]["edges"].as_array().into_iter().flatten() {
                cursors.push(edge["cursor"].as_str().expect("a cursor").to_owned());
            }
        }
        assert!(cursors.len() > 10, "real cursors: {cursors:?}");
        cursors
    }

    /// POSTs a GraphQL request as the attacker, asking for the strict media type so that
    /// requests that do not execute answer 400. Err when the server does not answer with
    /// JSON below 500: a 5xx, a dropped connection (a panic), or no JSON.
    pub async fn send(&self, request: Value) -> Result<Value, TestCaseError> {
        let response = self
            .app
            .client()
            .post(self.app.url("/graphql"))
            .bearer_auth(&self.token)
            .header("accept", "application/graphql-response+json")
            .json(&request)
            .send()
            .await
            .map_err(|err| TestCaseError::fail(format!("no answer: {err}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| TestCaseError::fail(format!("no body: {err}")))?;
        prop_assert!(!status.is_server_error(), "HTTP {status}: {text}");
        serde_json::from_str(&text)
            .map_err(|err| TestCaseError::fail(format!("HTTP {status}, not JSON ({err}): {text}")))
    }

    /// Sends `request` and checks the answer: every error has a code other than INTERNAL
    /// and a message that shows nothing of the server's insides (after removing the strings
    /// of the variables and the `quoted` ones, which it may quote back), and the victim's
    /// rows are unchanged.
    pub async fn attack(&self, request: Value, quoted: &[&str]) -> TestCaseResult {
        let mut inputs = quoted.to_vec();
        strings_in(&request["variables"], &mut inputs);
        // Block strings in a document come back with their line breaks normalized, so each
        // line is removed on its own too.
        let lines: Vec<&str> = inputs
            .iter()
            .flat_map(|i| i.split(['\r', '\n']))
            .filter(|line| line.len() > 3)
            .collect();
        inputs.extend(lines);
        // Longest first, so that no shorter input spoils the removal of one containing it.
        inputs.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let body = self.send(request.clone()).await?;
        for error in body["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str();
            prop_assert!(code.is_some(), "an error without a code: {error}");
            prop_assert_ne!(code, Some("INTERNAL"), "request: {}", request);
            let message = error["message"].as_str().unwrap_or_default();
            let mut scrubbed = message.to_owned();
            for input in inputs.iter().filter(|i| !i.is_empty()) {
                let quoted = format!("{input:?}");
                scrubbed = scrubbed.replace(&quoted, "").replace(input, "");
            }
            for leak in LEAKS_SQL {
                prop_assert!(!scrubbed.contains(leak), "leak {leak:?}: {message}");
            }
            let lower = scrubbed.to_lowercase();
            for leak in LEAKS_ANY_CASE {
                prop_assert!(!lower.contains(leak), "leak {leak:?}: {message}");
            }
            self.messages
                .lock()
                .expect("not poisoned")
                .push(message.to_owned());
        }
        prop_assert_eq!(&self.victim_snapshot().await, &self.snapshot, "{}", request);
        Ok(())
    }

    /// Runs `property` on [`CASES`] inputs from `strategy`, from a blocking section of the
    /// test's runtime (proptest's runner is synchronous), then checks the server still
    /// answers and returns how many error messages were checked.
    pub async fn run<S: proptest::strategy::Strategy + Send>(
        &self,
        strategy: S,
        property: impl AsyncFn(&Self, S::Value) -> TestCaseResult + Send,
    ) -> usize {
        let handle = tokio::runtime::Handle::current();
        // PROPTEST_CASES overrides the count, for longer runs by hand.
        let cases = match std::env::var("PROPTEST_CASES") {
            Ok(_) => Config::default().cases,
            Err(_) => CASES,
        };
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        // Deeply nested strategies and futures need more stack than a test thread has in a
        // debug build; the runtime's workers keep serving the server meanwhile.
        let result = tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(scope, move || {
                        TestRunner::new(config)
                            .run(&strategy, |input| handle.block_on(property(self, input)))
                            .map_err(|err| match err {
                                TestError::Abort(why) => format!("aborted: {why}"),
                                TestError::Fail(why, input) => {
                                    format!("{why}\nminimal failing input: {input:#?}")
                                }
                            })
                    })
                    .expect("a thread")
                    .join()
                    .expect("the runner does not panic")
            })
        });
        if let Err(failure) = result {
            panic!("{failure}");
        }
        let alive = self.send(json!({ "query": "{ __typename }" })).await;
        assert!(alive.is_ok(), "the server stopped answering");
        std::mem::take(&mut *self.messages.lock().expect("not poisoned")).len()
    }
}

/// Every string inside `value`, at any depth.
fn strings_in<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

/// The global ID of `type_name` row `id`, as the server writes it.
pub fn gid(type_name: &str, id: impl std::fmt::Display) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}"))
}

async fn user_model(app: &TestApp, username: &str) -> user::Model {
    let id = app.user_id(username).await;
    user::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("the user exists")
}
