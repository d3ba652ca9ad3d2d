//! `api seed-demo` loads a sample a newcomer can log in to and explore.

#![allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]

use serde_json::json;
use tests::{Backend, test_app::TestApp};

async fn seed_demo_loads_an_explorable_sample(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let mut config = api::Config::defaults();
    config.database_url = app.database_url().to_owned();
    // Twice: a second run replaces the first sample instead of failing.
    api::seed_demo(&config).await.expect("seed");
    let login = api::seed_demo(&config).await.expect("seed again");

    let body = app
        .gql(
            "mutation($login: String!, $password: String!) { logIn(input: { login: $login, password: $password }) { token } }",
            json!({ "login": login.username, "password": login.password }),
        )
        .await;
    let token = body["data"]["logIn"]["token"]
        .as_str()
        .expect("the demo user logs in");
    let todos = app
        .gql_as(
            token,
            "{ viewer { todos { totalCount } overdue: todos(filter: { overdue: true }) { totalCount } } tags { totalCount } }",
            json!({}),
        )
        .await;
    let viewer = &todos["data"]["viewer"];
    assert!(
        viewer["todos"]["totalCount"]
            .as_i64()
            .is_some_and(|n| n > 100),
        "{todos}"
    );
    assert!(
        viewer["overdue"]["totalCount"]
            .as_i64()
            .is_some_and(|n| n > 0),
        "{todos}"
    );
    assert_eq!(todos["data"]["tags"]["totalCount"], 8);
}
tests::both_backends!(seed_demo_loads_an_explorable_sample);
