//! `api seed-demo` loads a sample a newcomer can log in to and explore, with an admin who
//! sees every demo todo.

use serde_json::json;
use tests::test_app::TestApp;

/// `query($name)`: the user's todos, as the viewer may see them.
const USER_TODOS: &str =
    "query($name: String!) { user(username: $name) { todos { totalCount nodes { title } } } }";

async fn seed_demo_loads_an_explorable_sample(app: TestApp) {
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

async fn seed_demo_creates_an_admin_who_sees_the_demo_todos(app: TestApp) {
    let mut config = api::Config::defaults();
    config.database_url = app.database_url().to_owned();
    let login = api::seed_demo(&config).await.expect("seed");
    let log_in = "mutation($login: String!, $password: String!) { logIn(input: { login: $login, password: $password }) { token } }";
    let mut seen = Vec::new();
    for username in [login.username, login.admin_username] {
        let body = app
            .gql(
                log_in,
                json!({ "login": username, "password": login.password }),
            )
            .await;
        let token = body["data"]["logIn"]["token"].as_str().expect("a token");
        let sams = app
            .gql_as(token, USER_TODOS, json!({ "name": "sam" }))
            .await;
        seen.push(
            sams["data"]["user"]["todos"]["totalCount"]
                .as_i64()
                .unwrap(),
        );
    }
    // The demo user sees none of sam's todos; the admin sees all of them.
    assert_eq!(seen[0], 0);
    assert!(seen[1] > 50, "{seen:?}");
}
tests::both_backends!(seed_demo_creates_an_admin_who_sees_the_demo_todos);
