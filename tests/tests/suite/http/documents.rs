//! Automatic persisted queries (Apollo's APQ) and the trusted-documents mode, in which only
//! the operations of a manifest run.

use serde_json::{Value, json};
use tests::{
    Backend, both_backends,
    test_app::{TestApp, error_code},
};

const TAGS: &str = "query Tags { tags(first: 5) { totalCount } }";

fn sha256(text: &str) -> String {
    api::execution::documents::sha256_hex(text)
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn automatic_persisted_queries(app: TestApp) {
    let hash = sha256(TAGS);
    // The hash alone, unknown yet: Apollo's client then resends it with the query.
    let (_, body) = app.post(&json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
    let (_, body) = app
        .post(&json!({ "query": TAGS, "extensions": persisted(&hash) }))
        .await;
    assert_eq!(body["data"]["tags"]["totalCount"], 0, "{body}");
    // From now on the hash is enough, by POST or by GET (cacheable by CDNs).
    let (_, body) = app.post(&json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(body["data"]["tags"]["totalCount"], 0, "{body}");
    let extensions = persisted(&hash).to_string();
    let url = reqwest::Url::parse_with_params(&app.url("/graphql"), [("extensions", &extensions)])
        .expect("a URL");
    let response = app.client().get(url).send().await.expect("answer");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["tags"]["totalCount"], 0, "{body}");

    // A hash that is not the query's is refused, and registers nothing.
    let (_, body) = app
        .post(&json!({ "query": "{ __typename }", "extensions": persisted(&"0".repeat(64)) }))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = app
        .post(&json!({ "extensions": persisted(&"0".repeat(64)) }))
        .await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    // A persisted mutation is still a mutation: not by GET.
    let mutation = "mutation { logOut }";
    let (_, _) = app
        .post(&json!({ "query": mutation, "extensions": persisted(&sha256(mutation)) }))
        .await;
    let extensions = persisted(&sha256(mutation)).to_string();
    let url = reqwest::Url::parse_with_params(&app.url("/graphql"), [("extensions", &extensions)])
        .expect("a URL");
    let response = app.client().get(url).send().await.expect("answer");
    assert_eq!(response.status(), 405);
}
both_backends!(automatic_persisted_queries);

async fn only_trusted_documents_run(backend: Backend) {
    let viewer = "query Viewer { viewer { username } }";
    // As graphql-codegen's client preset writes it: sha256 of the document → document.
    let manifest = json!({ sha256(TAGS): TAGS, "relay-id-1": viewer });
    let Some(app) = TestApp::start_trusted(backend, &manifest).await else {
        return;
    };

    // By id (the GraphQL-over-HTTP draft's documentId, with or without its sha256: prefix),
    // by Relay's doc_id, by APQ's hash, or sent in full when it is in the manifest.
    for body in [
        json!({ "documentId": format!("sha256:{}", sha256(TAGS)) }),
        json!({ "documentId": sha256(TAGS) }),
        json!({ "extensions": persisted(&sha256(TAGS)) }),
        json!({ "query": TAGS }),
    ] {
        let (status, answer) = app.post(&body).await;
        assert_eq!(status, 200, "{body}: {answer}");
        assert_eq!(answer["data"]["tags"]["totalCount"], 0, "{body}: {answer}");
    }
    let (_, answer) = app.post(&json!({ "doc_id": "relay-id-1" })).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert!(answer["data"]["viewer"].is_null(), "{answer}");

    // Anything else is refused before it runs, introspection included; APQ cannot add to
    // the list.
    for body in [
        json!({ "query": "{ tags(first: 6) { totalCount } }" }),
        json!({ "query": "{ __schema { queryType { name } } }" }),
        json!({ "documentId": "unknown" }),
        json!({ "query": "{ __typename }", "extensions": persisted(&sha256("{ __typename }")) }),
    ] {
        let (_, answer) = app.post(&body).await;
        assert_eq!(error_code(&answer), Some("FORBIDDEN"), "{body}: {answer}");
        assert!(answer.get("data").is_none_or(Value::is_null), "{answer}");
    }
}
both_backends!(backend only_trusted_documents_run);
