//! Limits on one operation (query length, depth, aliases, directives, fragment nesting,
//! cost), the body size limit, and the introspection and GraphiQL switches. A document over
//! a limit is refused with TOO_COMPLEX before anything executes: the server runs no SQL.

use serde_json::{Value, json};
use tests::{
    both_backends,
    test_app::{TestApp, error_code},
};

/// POSTs `query` anonymously; returns the status, the body and the statements it ran.
async fn post(app: &TestApp, query: &str) -> (u16, Value, u32) {
    let response = app
        .client()
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let statements = response
        .headers()
        .get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an x-sql-statements header");
    (status, response.json().await.expect("JSON"), statements)
}

/// Asserts a TOO_COMPLEX refusal that ran nothing; returns the error's extensions.
fn refused(answer: &(u16, Value, u32)) -> &Value {
    let (_, body, statements) = answer;
    assert_eq!(error_code(body), Some("TOO_COMPLEX"), "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    assert_eq!(*statements, 0, "nothing runs: {body}");
    &body["errors"][0]["extensions"]
}

/// `users { nodes { todos { nodes { owner { ... } } } } }` nested `levels` times.
fn nested(levels: usize) -> String {
    let mut query = "username".to_owned();
    for _ in 0..levels {
        query = format!("todos(first: 1) {{ nodes {{ owner {{ {query} }} }} }}");
    }
    format!("{{ users(first: 1) {{ nodes {{ {query} }} }} }}")
}

async fn depth_aliases_directives_and_fragments_are_limited(app: TestApp) {
    // users → nodes → (todos → nodes → owner) × 3 → username: depth 12, the default limit.
    let (_, body, _) = post(&app, &nested(3)).await;
    assert!(body.get("errors").is_none(), "depth 12 runs: {body}");
    let extensions = refused(&post(&app, &nested(4)).await).clone();
    assert_eq!(extensions["depth"], 15);
    assert_eq!(extensions["limit"], 12);

    let aliases = |n: usize| {
        let fields: String = (0..n).map(|i| format!("a{i}: viewer {{ id }} ")).collect();
        format!("{{ {fields} }}")
    };
    let (_, body, _) = post(&app, &aliases(30)).await;
    assert!(body.get("errors").is_none(), "30 aliases run: {body}");
    assert_eq!(refused(&post(&app, &aliases(31)).await)["aliases"], 31);

    let directives = |n: usize| {
        let fields: String = (0..n).map(|_| "__typename @include(if: true) ").collect();
        format!("{{ {fields} }}")
    };
    let (_, body, _) = post(&app, &directives(50)).await;
    assert!(body.get("errors").is_none(), "50 directives run: {body}");
    assert_eq!(
        refused(&post(&app, &directives(51)).await)["directives"],
        51
    );

    // F0 spreads F1, which spreads F2, ...: fragments nested `n` deep.
    let fragments = |n: usize| {
        let mut document = "{ ...F0 }".to_owned();
        for i in 0..n {
            let next = if i + 1 < n {
                format!("...F{}", i + 1)
            } else {
                "__typename".to_owned()
            };
            document.push_str(&format!(" fragment F{i} on Query {{ {next} }}"));
        }
        document
    };
    let (_, body, _) = post(&app, &fragments(8)).await;
    assert!(
        body.get("errors").is_none(),
        "8 nested fragments run: {body}"
    );
    assert_eq!(
        refused(&post(&app, &fragments(9)).await)["fragmentDepth"],
        9
    );

    // A fragment spread many times is counted where it is used: 4 spreads × 10 aliases.
    let spread = "{ ...A ...A2 } fragment A on Query { ...B ...B } fragment A2 on Query { ...B ...B } \
                  fragment B on Query { a0: __typename a1: __typename a2: __typename a3: __typename \
                  a4: __typename a5: __typename a6: __typename a7: __typename a8: __typename \
                  a9: __typename }";
    assert_eq!(refused(&post(&app, spread).await)["aliases"], 40);

    // Fragments spreading the next one 30 times, 8 deep, ending in `__typename`: under 2 kB
    // of text and within every other limit, but 30^7 fields for the executor to walk.
    let mut fan_out = "{ ...F0 }".to_owned();
    for i in 0..8 {
        let body = if i < 7 {
            format!("...F{} ", i + 1).repeat(30)
        } else {
            "__typename".to_owned()
        };
        fan_out.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
    }
    let extensions = refused(&post(&app, &fan_out).await).clone();
    assert_eq!(extensions["limit"], 2000, "{extensions}");
    assert_eq!(extensions["fields"], 30_u64.pow(7), "{extensions}");
}
both_backends!(depth_aliases_directives_and_fragments_are_limited);

async fn cost_is_counted_limited_and_reported(app: TestApp) {
    // 50 users, each with a page of 10 todos: 50 + 50 × 10 nodes.
    let (status, body, _) = post(
        &app,
        "{ users(first: 50) { nodes { username todos(first: 10) { nodes { title tags { name } } } } } }",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["extensions"]["cost"],
        json!({ "requested": 550, "limit": 10_000 })
    );
    // Connections without first/last cost the default page (20); scalars cost nothing.
    let (_, body, _) = post(&app, "{ tags { nodes { name todos { totalCount } } } }").await;
    assert_eq!(body["extensions"]["cost"]["requested"], 20 + 20 * 20);
    let (_, body, _) = post(&app, "{ viewer { username } }").await;
    assert_eq!(body["extensions"]["cost"]["requested"], 0);

    // 100 + 100 × 100 = 10,100 > 10,000.
    let too_big = "{ users(first: 100) { nodes { todos(first: 100) { nodes { id } } } } }";
    let answer = post(&app, too_big).await;
    let extensions = refused(&answer);
    assert_eq!(extensions["cost"], 10_100);
    assert_eq!(extensions["limit"], 10_000);
    assert_eq!(
        answer.1["extensions"]["cost"],
        json!({ "requested": 10_100, "limit": 10_000 })
    );

    // Page sizes given as variables count too.
    let response = app
        .client()
        .post(app.url("/graphql"))
        .json(&json!({
            "query": "query($n: Int) { users(first: $n) { nodes { todos(first: $n) { totalCount } } } }",
            "variables": { "n": 101 },
        }))
        .send()
        .await
        .expect("answer");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), Some("TOO_COMPLEX"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["cost"], 101 + 101 * 101);

    // Plain lists are priced by their bound: nodes(ids:) one node per id plus what each
    // asks for, Todo.tags what its items ask for times its cap (20).
    let user = api::schema::node::global_id(api::schema::node::NodeType::User, 1).0;
    let response = app
        .client()
        .post(app.url("/graphql"))
        .json(&json!({
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { todos(first: 99) { nodes { id } } } } }",
            "variables": { "ids": [&user, &user, &user] },
        }))
        .send()
        .await
        .expect("answer");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["extensions"]["cost"]["requested"],
        3 * (1 + 99),
        "{body}"
    );
    let (_, body, _) = post(
        &app,
        "{ todos(first: 10) { nodes { tags { name todos(first: 5) { nodes { id } } } } } }",
    )
    .await;
    assert_eq!(
        body["extensions"]["cost"]["requested"],
        10 + 10 * 20 * 5,
        "{body}"
    );

    // A mutation costs a fixed amount (10) on top of its selection, and is refused like a
    // query when the whole is over the budget.
    let (token, _) = app.sign_up("coster").await;
    let body = app
        .gql_as(
            &token,
            "mutation { deleteCompletedTodos { deletedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["extensions"]["cost"]["requested"], 10, "{body}");
    // The same field spread from a fragment on Mutation costs the same.
    let body = app
        .gql_as(
            &token,
            "mutation { ...Clear } fragment Clear on Mutation { deleteCompletedTodos { deletedCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["extensions"]["cost"]["requested"], 10, "{body}");
}
both_backends!(cost_is_counted_limited_and_reported);

async fn long_queries_and_large_bodies_are_refused(app: TestApp) {
    let padded = format!("{{ __typename }} # {}", "x".repeat(1000));
    let extensions = refused(&post(&app, &padded).await).clone();
    assert_eq!(extensions["limit"], 1000);

    let body = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(64 * 1024) } });
    let response = app
        .client()
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 413);
}
both_backends!(long_queries_and_large_bodies_are_refused, |config| {
    config.limits.max_query_length = 1000;
    config.http.body_limit_bytes = 64 * 1024;
});

async fn introspection_and_graphiql_can_be_turned_off(app: TestApp) {
    let (_, body, _) = post(&app, "{ __schema { queryType { name } } }").await;
    assert!(body["errors"].is_array(), "introspection answered: {body}");
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let page = app.client().get(app.url("/")).send().await.expect("answer");
    assert_eq!(page.status(), 404);
    // Ordinary queries still run.
    let (_, body, _) = post(&app, "{ tags(first: 1) { totalCount } }").await;
    assert_eq!(body["data"]["tags"]["totalCount"], 0, "{body}");
}
both_backends!(introspection_and_graphiql_can_be_turned_off, |config| {
    config.limits.introspection = false;
    config.http.graphiql = false;
});
