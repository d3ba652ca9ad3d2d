//! Todos and tags in lists read their plain fields straight from the row
//! (api/src/graphql/plain_fields.rs) unless the selection needs async-graphql's own
//! resolution (fragments, a key selected twice). Both ways must give the same answer, for
//! every field, null or not. On SQLite and PostgreSQL.

use chrono::{TimeZone, Utc};
use entity::{todo::Priority, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{
    fixtures::{self, NewTodo},
    test_app::TestApp,
};

const TODO_FIELDS: &str = "__typename id title description priority completed dueDate \
    completedAt deletedAt createdAt updatedAt version owner { username } \
    tags { __typename id name color createdAt }";

/// The same todos three ways: plain fields, inside inline fragments (async-graphql's
/// generic resolution), and plain but with a key selected twice (generic too).
async fn three_ways(app: &TestApp, token: &str, filter: &str) -> [Value; 3] {
    let plain = format!("{{ todos(first: 10, filter: {filter}) {{ nodes {{ {TODO_FIELDS} }} }} }}");
    let fragments = format!(
        "{{ todos(first: 10, filter: {filter}) {{ nodes {{ ... on Todo {{ {TODO_FIELDS} \
         tags {{ ... on Tag {{ id }} }} }} }} }} }}"
    );
    let twice =
        format!("{{ todos(first: 10, filter: {filter}) {{ nodes {{ {TODO_FIELDS} title }} }} }}");
    let mut answers = Vec::new();
    for query in [plain, fragments, twice] {
        let body = app.gql_as(token, &query, json!({})).await;
        assert_eq!(body.get("errors"), None, "{query}: {body}");
        answers.push(body["data"]["todos"]["nodes"].clone());
    }
    answers.try_into().expect("three answers")
}

async fn plain_and_generic_resolution_agree(app: TestApp) {
    let (token, _) = app.sign_up("ann").await;
    let ann = user::Entity::find()
        .filter(user::Column::Username.eq("ann"))
        .one(app.db())
        .await
        .expect("read ann")
        .expect("ann");
    let work = fixtures::tag(app.db(), "work").await;
    let home = fixtures::tag(app.db(), "Home").await;
    let full = fixtures::todo(
        app.db(),
        &ann,
        NewTodo {
            description: Some("every field set".to_owned()),
            priority: Priority::High,
            completed: true,
            due_date: Some(
                Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0)
                    .single()
                    .expect("an instant"),
            ),
            ..NewTodo::new("full", 1)
        },
    )
    .await;
    fixtures::tag_todo(app.db(), &full, &work).await;
    fixtures::tag_todo(app.db(), &full, &home).await;
    fixtures::todo(app.db(), &ann, NewTodo::new("bare", 2)).await;
    fixtures::todo(
        app.db(),
        &ann,
        NewTodo {
            priority: Priority::Low,
            deleted: true,
            ..NewTodo::new("gone", 3)
        },
    )
    .await;

    let [plain, fragments, twice] = three_ways(&app, &token, "{}").await;
    assert_eq!(plain, fragments);
    assert_eq!(plain, twice);
    let full_id = plain[1]["id"].clone();
    let home_id = plain[1]["tags"][0]["id"].clone();
    let work_id = plain[1]["tags"][1]["id"].clone();
    assert_eq!(
        plain,
        json!([
            {
                "__typename": "Todo", "id": plain[0]["id"], "title": "bare", "description": null,
                "priority": "MEDIUM", "completed": false, "dueDate": null, "completedAt": null,
                "deletedAt": null, "createdAt": "2026-01-01T00:02:00Z",
                "updatedAt": "2026-01-01T00:02:00Z", "version": 1,
                "owner": { "username": "ann" }, "tags": [],
            },
            {
                "__typename": "Todo", "id": full_id, "title": "full",
                "description": "every field set", "priority": "HIGH", "completed": true,
                "dueDate": "2026-03-01T09:30:00Z", "completedAt": "2026-01-01T00:01:00Z",
                "deletedAt": null, "createdAt": "2026-01-01T00:01:00Z",
                "updatedAt": "2026-01-01T00:01:00Z", "version": 1,
                "owner": { "username": "ann" },
                "tags": [
                    { "__typename": "Tag", "id": home_id, "name": "Home", "color": "#3b82f6",
                      "createdAt": "2026-01-01T00:00:00Z" },
                    { "__typename": "Tag", "id": work_id, "name": "work", "color": "#3b82f6",
                      "createdAt": "2026-01-01T00:00:00Z" },
                ],
            },
        ])
    );

    let [plain, fragments, twice] = three_ways(&app, &token, "{ deleted: true }").await;
    assert_eq!(plain, fragments);
    assert_eq!(plain, twice);
    assert_eq!(plain[0]["title"], "gone");
    assert_eq!(plain[0]["priority"], "LOW");
    assert_eq!(plain[0]["deletedAt"], "2026-01-01T00:03:00Z");
}
tests::both_backends!(plain_and_generic_resolution_agree);
