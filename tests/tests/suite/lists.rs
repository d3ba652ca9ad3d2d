//! The lists of users and tags: they page both ways like every connection (forwards with
//! first/after and backwards with last/before, in order, nothing missed or repeated), and
//! their searches ignore case (beyond ASCII too, on PostgreSQL) and match `%` and `_`
//! literally. (A todo's history pages in `todos::history`.)

use serde_json::{Value, json};
use tests::{Backend, fixtures, test_app::TestApp};

/// Walks `field` (`users` or `tags`) in pages of two, forwards then backwards; the names
/// in each direction, in list order.
async fn walk(app: &TestApp, field: &str, name: &str, search: Option<&str>) -> [Vec<String>; 2] {
    let forward = format!(
        "query($after: String, $search: String) {{ {field}(first: 2, after: $after, search: $search) {{
            nodes {{ {name} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let backward = format!(
        "query($before: String, $search: String) {{ {field}(last: 2, before: $before, search: $search) {{
            nodes {{ {name} }} pageInfo {{ hasPreviousPage startCursor }} }} }}"
    );
    let names = |page: &Value| -> Vec<String> {
        page["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n[name].as_str().expect("a name").to_owned())
            .collect()
    };
    let mut ahead = Vec::new();
    let mut after = Value::Null;
    for _ in 0..20 {
        let body = app
            .gql(&forward, json!({ "after": after, "search": search }))
            .await;
        let page = &body["data"][field];
        assert!(page.is_object(), "{body}");
        ahead.extend(names(page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut behind: Vec<String> = Vec::new();
    let mut before = Value::Null;
    for _ in 0..20 {
        let body = app
            .gql(&backward, json!({ "before": before, "search": search }))
            .await;
        let page = &body["data"][field];
        assert!(page.is_object(), "{body}");
        let mut earlier = names(page);
        earlier.append(&mut behind);
        behind = earlier;
        if page["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    [ahead, behind]
}

async fn users_and_tags_page_both_ways(app: TestApp) {
    // Lowercase ASCII, so that every collation agrees on the order.
    let users = ["una", "bea", "gil", "ada", "eve", "fay", "cid"];
    for username in users {
        fixtures::user(app.db(), username).await;
        fixtures::tag(app.db(), &format!("{username}-tag")).await;
    }
    let mut sorted: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
    sorted.sort();
    assert_eq!(
        walk(&app, "users", "username", None).await,
        [sorted.clone(), sorted.clone()]
    );
    let tags: Vec<String> = sorted.iter().map(|u| format!("{u}-tag")).collect();
    assert_eq!(
        walk(&app, "tags", "name", None).await,
        [tags.clone(), tags.clone()]
    );

    // A search narrows the list and pages the same way (ignoring case).
    let with_a: Vec<String> = sorted.iter().filter(|u| u.contains('a')).cloned().collect();
    assert_eq!(with_a.len(), 4);
    assert_eq!(
        walk(&app, "users", "username", Some("A")).await,
        [with_a.clone(), with_a]
    );
}
tests::both_backends!(users_and_tags_page_both_ways);

async fn searches_match_percent_and_underscore_literally(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    for name in ["a_b", "axb", "Xa_bX"] {
        fixtures::user(app.db(), name).await;
    }
    for name in ["100%", "100 pct", "a_b", "axb"] {
        app.data(
            Some(&ann),
            "mutation($name: String!) { createTag(input: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await;
    }

    let users = "query($search: String) { users(search: $search) { totalCount
        nodes { username } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let tags = "query($search: String) { tags(search: $search) { totalCount
        nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let found = |data: &Value, list: &str, field: &str| -> Vec<String> {
        let connection = &data[list];
        let names: Vec<String> = connection["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("no nodes: {data}"))
            .iter()
            .map(|n| n[field].as_str().expect("a name").to_owned())
            .collect();
        assert_eq!(connection["totalCount"], names.len(), "{data}");
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| n.to_lowercase());
        sorted
    };
    for (search, expected) in [
        ("0%", vec!["100%"]),
        ("%", vec!["100%"]),
        ("100", vec!["100 pct", "100%"]),
        ("a_b", vec!["a_b"]),
        ("A_B", vec!["a_b"]),
        ("_", vec!["a_b"]),
        ("AXB", vec!["axb"]),
    ] {
        let data = app
            .data(Some(&ann), tags, json!({ "search": search }))
            .await;
        assert_eq!(found(&data, "tags", "name"), expected, "tags {search:?}");
    }
    for (search, expected) in [
        ("a_b", vec!["a_b", "Xa_bX"]),
        ("A_B", vec!["a_b", "Xa_bX"]),
        ("_", vec!["a_b", "Xa_bX"]),
        ("%", vec![]),
        ("XB", vec!["axb"]),
        ("", vec!["a_b", "ann", "axb", "Xa_bX"]),
    ] {
        let data = app.data(None, users, json!({ "search": search })).await;
        assert_eq!(
            found(&data, "users", "username"),
            expected,
            "users {search:?}"
        );
    }

    // Nothing matches: an empty connection, not an error.
    let empty = json!({ "totalCount": 0, "nodes": [], "pageInfo": {
        "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null } });
    for search in ["zzz", "a%b", "\\"] {
        let data = app.data(None, tags, json!({ "search": search })).await;
        assert_eq!(data["tags"], empty, "tags {search:?}");
        let data = app.data(None, users, json!({ "search": search })).await;
        assert_eq!(data["users"], empty, "users {search:?}");
    }
}
tests::both_backends!(searches_match_percent_and_underscore_literally);

async fn searches_ignore_case_beyond_ascii(app: TestApp) {
    let (ann, _) = app.sign_up("ann").await;
    for name in ["Über", "Ärger", "other"] {
        app.data(
            Some(&ann),
            "mutation($name: String!) { createTag(input: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await;
    }
    let tags = "query($search: String) { tags(search: $search) { totalCount nodes { name } } }";
    for (search, expected) in [
        ("Über", "Über"),
        ("über", "Über"),
        ("ÜBER", "Über"),
        ("ärg", "Ärger"),
        ("RGER", "Ärger"),
    ] {
        let data = app
            .data(Some(&ann), tags, json!({ "search": search }))
            .await;
        assert_eq!(
            data["tags"],
            json!({ "totalCount": 1, "nodes": [{ "name": expected }] }),
            "tags(search: {search:?})"
        );
    }
}

// PostgreSQL only: SQLite's LOWER and LIKE fold ASCII letters alone (a documented SQLite
// limitation of the embedded development default; see the README), so there "Über" and
// "über" are different names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_ignore_case_beyond_ascii_on_postgres() {
    tests::test_app::run(Backend::Postgres, |_| {}, searches_ignore_case_beyond_ascii).await;
}
