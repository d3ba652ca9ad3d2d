//! The whole request path in process, for the `request` and `operations` targets: the real
//! router (`api::http::app`) over a migrated SQLite file, built once per fuzzing process, and
//! called with tower's `oneshot` on a Tokio worker thread, as the server's connections are
//! (so a request has a worker's 2 MiB stack, not the main thread's 8 MiB).

use std::{
    path::PathBuf,
    sync::OnceLock,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// The server under test and what the targets' operations refer to.
pub struct Harness {
    runtime: Runtime,
    router: Router,
    /// A bearer token of the signed-in user `fuzzer`.
    pub token: String,
    /// Global IDs: `fuzzer`'s user, one of its todos, one tag.
    pub user_id: String,
    /// A todo of `fuzzer`'s.
    pub todo_id: String,
    /// A tag `fuzzer` created.
    pub tag_id: String,
}

/// A response as the client receives it.
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body's bytes.
    pub body: Vec<u8>,
}

/// The process's harness, built on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::start)
}

impl Harness {
    fn start() -> Self {
        // The server's own runtime shape: worker threads with Tokio's default stack size.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|err| panic!("a Tokio runtime: {err}"));
        let dir = scratch_dir();
        let mut config = api::Config::defaults();
        config.database_url = format!("sqlite://{}?mode=rwc", dir.join("fuzz.db").display());
        // The rate limits would refuse nearly every input after the first few seconds, and
        // the fuzzer would then only see the refusal; every other limit stays as deployed
        // (log-in throttling too: a refused log-in is a client error like any other).
        config.rate_limits.points = 0;
        config.rate_limits.anonymous_points = 0;
        let state = runtime
            .block_on(api::AppState::new(&config))
            .unwrap_or_else(|err| panic!("the server starts: {err}"));
        let router = api::http::app(state);
        let mut harness = Self {
            runtime,
            router,
            token: String::new(),
            user_id: String::new(),
            todo_id: String::new(),
            tag_id: String::new(),
        };
        harness.arrange();
        harness
    }

    /// Signs `fuzzer` up and gives it a todo and a tag, for the operations to refer to.
    fn arrange(&mut self) {
        let signed_up = self.setup_call(
            None,
            "mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }",
            json!({ "i": { "email": "fuzzer@example.com", "username": "fuzzer",
                           "password": "password123" } }),
        );
        self.token = text(&signed_up, "/data/signUp/token");
        self.user_id = text(&signed_up, "/data/signUp/user/id");
        let token = self.token.clone();
        let todo = self.setup_call(
            Some(&token),
            "mutation { createTodo(input: { title: \"first\", tags: [\"home\"] }) { id } }",
            json!({}),
        );
        self.todo_id = text(&todo, "/data/createTodo/id");
        let tag = self.setup_call(
            Some(&token),
            "mutation { createTag(input: { name: \"fuzz\" }) { id } }",
            json!({}),
        );
        self.tag_id = text(&tag, "/data/createTag/id");
    }

    fn setup_call(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let reply = self.post(body.into_bytes(), token);
        serde_json::from_slice(&reply.body)
            .unwrap_or_else(|err| panic!("setup: a JSON answer to {query}: {err}"))
    }

    /// POSTs `body` to /graphql as `application/json`, with `token` as the bearer token.
    ///
    /// With FUZZ_LAST_REQUEST set (fuzz/run sets it), the body is first written to that
    /// file: a stack overflow kills the process with SIGSEGV before libFuzzer can save the
    /// input (without a sanitizer its handler has no alternate stack to run on), and this
    /// file is then the request that did it, ready for curl.
    pub fn post(&self, body: Vec<u8>, token: Option<&str>) -> Reply {
        if let Some(path) = std::env::var_os("FUZZ_LAST_REQUEST") {
            std::fs::write(&path, &body).unwrap_or_else(|err| panic!("write {path:?}: {err}"));
        }
        if std::env::var_os("FUZZ_SHOW").is_some() {
            let text = String::from_utf8_lossy(&body);
            let start: String = text.chars().take(300).collect();
            eprintln!("request ({} bytes): {start}", body.len());
        }
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::ACCEPT,
                "application/graphql-response+json, application/json",
            );
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Body::from(body))
            .unwrap_or_else(|err| panic!("a request: {err}"));
        let router = self.router.clone();
        let task = self.runtime.spawn(async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            Ok::<_, axum::Error>(Reply {
                status,
                body: body.to_vec(),
            })
        });
        match self.runtime.block_on(task) {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => panic!("the router failed: {err}"),
            // A panic inside the request is the finding: re-raise it for libFuzzer.
            Err(err) => match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("the request task: {err}"),
            },
        }
    }
}

/// What every answer must be, whatever came in: not a server error (503, "busy" or "timed
/// out", is the one the server may give), a JSON body, and no INTERNAL error in it.
pub fn check(reply: &Reply) {
    let status = reply.status;
    // FUZZ_SHOW=1 prints each answer, to see what an input (an artifact) got.
    if std::env::var_os("FUZZ_SHOW").is_some() {
        let body = String::from_utf8_lossy(&reply.body);
        eprintln!(
            "HTTP {status}: {}",
            body.chars().take(600).collect::<String>()
        );
    }
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "HTTP {status}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or_else(|err| {
        panic!(
            "HTTP {status}, a body that is not JSON ({err}): {}",
            String::from_utf8_lossy(&reply.body)
        )
    });
    let responses = match &body {
        Value::Array(batch) => batch.iter().collect(),
        one => vec![one],
    };
    for response in responses {
        let errors = response.get("errors").and_then(Value::as_array);
        for error in errors.into_iter().flatten() {
            let code = error.pointer("/extensions/code").and_then(Value::as_str);
            assert_ne!(code, Some("INTERNAL"), "an INTERNAL error: {error}");
        }
    }
}

fn text(body: &Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("setup: no {pointer} in {body}"))
        .to_owned()
}

/// A fresh directory for this process's database (a fuzzing job may run several processes).
fn scratch_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("api-fuzz-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("create {}: {err}", dir.display()));
    dir
}
