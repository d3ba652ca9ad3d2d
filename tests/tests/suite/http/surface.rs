//! The HTTP surface around GraphQL: GraphiQL, probes, GET requests, error codes.

use serde_json::{Value, json};
use tests::test_app::{TestApp, error_code};

async fn probes_graphiql_and_get_queries(app: TestApp) {
    let client = app.client();
    let health = client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 200);

    let page = client.get(app.url("/")).send().await.expect("graphiql");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("graphiql") && html.contains("/graphql"),
        "{html}"
    );

    let get = client
        .get(app.url("/graphql?query=%7B%20viewer%20%7B%20id%20%7D%20%7D"))
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(get.status(), 200);
    let body: Value = get.json().await.expect("json");
    assert_eq!(
        body,
        json!({ "data": { "viewer": null }, "extensions": { "cost": { "requested": 0, "limit": 10_000 } } })
    );
}
tests::both_backends!(probes_graphiql_and_get_queries);

async fn malformed_documents_are_bad_user_input(app: TestApp) {
    for query in ["{ viewer { id ", "{ viewer { passwordHash } }", "{ nope }"] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{query}: {body}");
    }
}
tests::both_backends!(malformed_documents_are_bad_user_input);
