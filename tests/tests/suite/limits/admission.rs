//! What a request must pass before anything parses or validates it (issue 15, points 1, 2
//! and 7): a linear scan of the document's text (bytes, tokens, nesting of brackets,
//! braces and parentheses) and a memory budget for its variables, on every way in (HTTP,
//! batches, APQ registration, the trusted-documents manifest at start); the APQ cache
//! bounded by its bytes; and refused requests charged to the rate limit like any other.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tests::{
    Backend, TestDb, both_backends,
    test_app::{TestApp, error_code},
};

/// POSTs `body`, signed in with `token` when given; returns the status, the JSON body and
/// the SQL statements the request ran.
async fn post(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value, u32) {
    let mut request = app.client().post(app.url("/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let statements = response
        .headers()
        .get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an x-sql-statements header");
    (status, response.json().await.expect("JSON"), statements)
}

/// Asserts a TOO_COMPLEX refusal with no data; returns the error's extensions.
fn too_complex(body: &Value) -> &Value {
    assert_eq!(error_code(body), Some("TOO_COMPLEX"), "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    &body["errors"][0]["extensions"]
}

/// The issue's crash: `{ nodes(ids: [[[[ … levels … "x" ]]]]) { id } }`.
fn nested_ids(levels: usize) -> String {
    format!(
        "{{ nodes(ids: {}\"x\"{}) {{ id }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// `{ todos(filter: { search: { x: { x: … "y" } } }) { totalCount } }`: braces in object
/// values rather than brackets.
fn nested_objects(levels: usize) -> String {
    format!(
        "{{ todos(filter: {{ search: {}\"y\"{} }}) {{ totalCount }} }}",
        "{ x: ".repeat(levels),
        " }".repeat(levels)
    )
}

async fn deeply_nested_documents_are_refused_before_parsing(app: TestApp) {
    for document in [
        nested_ids(2_000),
        nested_ids(100_000),
        nested_objects(2_000),
    ] {
        let (_, body, statements) = post(&app, None, &json!({ "query": document })).await;
        let extensions = too_complex(&body);
        assert_eq!(extensions["limit"], 64, "{body}");
        assert_eq!(extensions["nesting"], 65, "{body}");
        assert_eq!(statements, 0, "{body}");
        // Where it went too deep: the first line, at the bracket or brace that did.
        assert_eq!(body["errors"][0]["locations"][0]["line"], 1, "{body}");
    }
    // By GET, and within a batch, the other operation still runs.
    let url = reqwest::Url::parse_with_params(
        &app.url("/graphql"),
        [("query", nested_ids(2_000).as_str())],
    )
    .expect("a URL");
    let response = app.client().get(url).send().await.expect("answer");
    too_complex(&response.json().await.expect("JSON"));
    let batch = json!([{ "query": nested_ids(2_000) }, { "query": "{ __typename }" }]);
    let (_, body, _) = post(&app, None, &batch).await;
    too_complex(&body[0]);
    assert_eq!(body[1]["data"]["__typename"], "Query", "{body}");

    // Real documents nest far less than the limit; the server keeps answering.
    let (status, body, _) = post(&app, None, &json!({ "query": nested_ids(30) })).await;
    assert_ne!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
    assert_eq!(status, 200, "{body}");
    let (_, body, _) = post(&app, None, &json!({ "query": "{ __typename }" })).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}
// 100,000 levels take 200 KB: the length limit is raised so that the nesting limit is what
// refuses them.
both_backends!(
    deeply_nested_documents_are_refused_before_parsing,
    |config| {
        config.limits.max_query_length = 512 * 1024;
        config.http.batch_max = 2;
    }
);

async fn documents_with_too_many_tokens_are_refused(app: TestApp) {
    // Each `__typename` is one token, the braces two: 998 fit, 999 do not.
    let typenames = |n: usize| format!("{{ {} }}", "__typename ".repeat(n));
    let (_, body, _) = post(&app, None, &json!({ "query": typenames(998) })).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, body, statements) = post(&app, None, &json!({ "query": typenames(999) })).await;
    assert_eq!(too_complex(&body)["limit"], 1_000, "{body}");
    assert_eq!(statements, 0);
}
both_backends!(documents_with_too_many_tokens_are_refused, |config| {
    config.limits.max_query_tokens = 1_000;
});

/// `[$t, $t, …]`, `uses` times.
fn uses_of_t(uses: usize) -> String {
    vec!["$t"; uses].join(", ")
}

async fn variables_used_many_times_are_refused_before_validation(app: TestApp) {
    // The issue's case, scaled down (64 KB used 1,000 times: 64 MB of copies).
    let query = format!(
        "query($t: String!) {{ todos(filter: {{ tags: [{}] }}) {{ totalCount }} }}",
        uses_of_t(1_000)
    );
    let large = "x".repeat(64 * 1024);
    let (_, body, statements) = post(
        &app,
        None,
        &json!({ "query": query, "variables": { "t": large } }),
    )
    .await;
    let extensions = too_complex(&body);
    assert_eq!(extensions["limit"], 4 * 1024 * 1024, "{body}");
    assert!(
        extensions["variableBytes"].as_u64() > Some(64 * 1024 * 1000),
        "{body}"
    );
    assert_eq!(statements, 0, "nothing ran: {body}");
    // A small value used as often is fine (whatever else the server says of it).
    let (_, body, _) = post(
        &app,
        None,
        &json!({ "query": query, "variables": { "t": "x" } }),
    )
    .await;
    assert_ne!(error_code(&body), Some("TOO_COMPLEX"), "{body}");

    // Signed in: createTodos with 500 entries sharing one 16 KB description (8 MB of
    // copies) creates nothing.
    let (token, _) = app.sign_up("ada").await;
    let entries = vec![r#"{title:"t",description:$d}"#; 500].join(",");
    let mutation = format!("mutation($d: String) {{ createTodos(input: [{entries}]) {{ id }} }}");
    let description = "d".repeat(16 * 1024);
    let request = json!({ "query": mutation, "variables": { "d": description } });
    let (_, body, _) = post(&app, Some(&token), &request).await;
    too_complex(&body);
    let todos = entity::todo::Entity::find()
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(todos, 0, "nothing was created: {body}");
    // The same entries with a short description pass the budget.
    let request = json!({ "query": mutation, "variables": { "d": "short" } });
    let (_, body, _) = post(&app, Some(&token), &request).await;
    assert_ne!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
}
both_backends!(variables_used_many_times_are_refused_before_validation);

fn persisted(query: Option<&str>, hash: &str) -> Value {
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    match query {
        Some(query) => json!({ "query": query, "extensions": extensions }),
        None => json!({ "extensions": extensions }),
    }
}

async fn the_apq_cache_is_bounded_by_its_bytes(app: TestApp) {
    // Four documents of 20 KB each (a comment pads them): the cache holds three.
    let documents: Vec<String> = (0..4)
        .map(|i| format!("query Q{i} {{ __typename }} # {}", "x".repeat(20 * 1024)))
        .collect();
    let hashes: Vec<String> = documents
        .iter()
        .map(|document| api::execution::documents::sha256_hex(document))
        .collect();
    let known = |body: &Value| body["data"]["__typename"] == "Query";
    for (document, hash) in documents.iter().zip(&hashes).take(3) {
        let (_, body, _) = post(&app, None, &persisted(Some(document), hash)).await;
        assert!(known(&body), "{body}");
    }
    for hash in &hashes[..3] {
        let (_, body, _) = post(&app, None, &persisted(None, hash)).await;
        assert!(known(&body), "{body}");
    }
    post(&app, None, &persisted(Some(&documents[3]), &hashes[3])).await;
    // The least recently used one is forgotten: Apollo's client then sends it again.
    let (_, body, _) = post(&app, None, &persisted(None, &hashes[0])).await;
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
    for hash in &hashes[1..] {
        let (_, body, _) = post(&app, None, &persisted(None, hash)).await;
        assert!(known(&body), "{body}");
    }

    // A document over the limits is refused at registration, and not kept.
    let deep = nested_ids(2_000);
    let hash = api::execution::documents::sha256_hex(&deep);
    let (_, body, _) = post(&app, None, &persisted(Some(&deep), &hash)).await;
    too_complex(&body);
    let (_, body, _) = post(&app, None, &persisted(None, &hash)).await;
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
}
both_backends!(the_apq_cache_is_bounded_by_its_bytes, |config| {
    config.documents.apq_cache_bytes = 64 * 1024;
});

#[tokio::test]
async fn a_manifest_with_a_too_deep_document_is_refused_at_start() {
    let Some(test_db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let path = std::env::temp_dir().join(format!("deep-manifest-{}.json", std::process::id()));
    let manifest = json!({ "fine": "{ __typename }", "deep": nested_ids(2_000) });
    std::fs::write(&path, manifest.to_string()).expect("write the manifest");
    let mut config = api::Config::defaults();
    config.database_url = test_db.url().to_owned();
    config.documents.trusted_documents = Some(path.clone());
    let started = api::AppState::new(&config).await;
    let _ = std::fs::remove_file(&path);
    let Err(error) = started else {
        panic!("a server with a document it would refuse must not start");
    };
    // What the operator reads in the log: which file, which document, which limit.
    let message = format!("{error:?}");
    for part in [
        path.display().to_string().as_str(),
        "\\\"deep\\\"",
        "deeper than 64",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
}

async fn refused_requests_drain_the_rate_limit(app: TestApp) {
    let refused = [
        // Too long.
        json!({ "query": format!("{{ __typename }} # {}", "x".repeat(1_000)) }),
        // Not GraphQL.
        json!({ "query": "{ __typename" }),
        // Too deep.
        json!({ "query": nested_ids(100) }),
        // Over the variables' budget.
        json!({
            "query": format!(
                "query($t: String!) {{ todos(filter: {{ tags: [{}] }}) {{ totalCount }} }}",
                uses_of_t(100)
            ),
            "variables": { "t": "x".repeat(64 * 1024) },
        }),
        // An unknown persisted query.
        persisted(None, &"0".repeat(64)),
    ];
    for request in &refused {
        let (status, body, _) = post(&app, None, request).await;
        assert!(error_code(&body).is_some(), "{request}: {body}");
        assert_ne!(status, 429, "{request}: {body}");
        assert_ne!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    }
    // Five refusals spent the five points: even a valid request must now wait.
    let (status, body, _) = post(&app, None, &json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    // And so must the next refused one.
    let (status, _, _) = post(&app, None, &refused[2]).await;
    assert_eq!(status, 429);
}
both_backends!(refused_requests_drain_the_rate_limit, |config| {
    config.rate_limits.anonymous_points = 5;
    config.limits.max_query_length = 1_000;
});
