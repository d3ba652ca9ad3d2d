//! Throttling that stops abuse without locking anyone out: log-in failures per account and
//! address (with Retry-After, and concurrent guesses held to the limit), IPv6 counted per /64, per-address allowances for sign-ups and log-ins, the
//! points of password work, a rate-limit map that a flood of new keys cannot reset, and
//! the sweep of expired sessions. Several clients are played with `--client-ip-header`.

use std::time::Duration;

use chrono::Utc;
use entity::{session, user};
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tests::{
    both_backends,
    test_app::{TestApp, error_code},
};

const IP_HEADER: &str = "x-forwarded-for";

const LOG_IN: &str = "mutation($login: String!, $password: String!) {
    logIn(input: { login: $login, password: $password }) { token } }";

const SIGN_UP: &str = "mutation($input: SignUpInput!) { signUp(input: $input) { token } }";

/// A query that costs points but reads nothing private.
const USERS: &str = "{ users(first: 20) { totalCount } }";

/// A server that believes `x-forwarded-for`: each test's configuration starts with this.
fn behind_proxy(config: &mut api::Config) {
    config.http.client_ip_header = Some(IP_HEADER.to_owned());
}

/// POSTs `query` from `ip` (the peer's own address, 127.0.0.1, with `None`); returns the
/// status and the body.
async fn post(app: &TestApp, ip: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let (status, _, body) = post_seeing_retry(app, ip, query, variables).await;
    (status, body)
}

/// Like [`post`], also returning the Retry-After header.
async fn post_seeing_retry(
    app: &TestApp,
    ip: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Option<u64>, Value) {
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(ip) = ip {
        request = request.header(IP_HEADER, ip);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry_after, response.json().await.expect("JSON"))
}

async fn log_in(app: &TestApp, ip: Option<&str>, login: &str, password: &str) -> (u16, Value) {
    post(
        app,
        ip,
        LOG_IN,
        json!({ "login": login, "password": password }),
    )
    .await
}

fn logged_in(body: &Value) -> bool {
    body["data"]["logIn"]["token"].is_string()
}

/// An attacker's twenty wrong guesses from four other addresses reach the account's limit
/// (set to 10 here), yet the owner, who has a session from their own address, logs in
/// from there with the right password; a new address is refused.
async fn guesses_from_elsewhere_do_not_lock_the_owner_out(app: TestApp) {
    // Signed up from 127.0.0.1: that session marks the owner's address.
    app.sign_up("erin").await;
    let mut refused = 0;
    for attacker in 1..=4 {
        let ip = format!("198.51.100.{attacker}");
        for guess in 0..5 {
            let (status, body) = log_in(&app, Some(&ip), "erin", &format!("guess-{guess}")).await;
            match error_code(&body) {
                Some("UNAUTHENTICATED") => {}
                Some("RATE_LIMITED") if status == 429 => refused += 1,
                _ => panic!("unexpected answer: {body}"),
            }
        }
    }
    // The account's limit stopped half of them.
    assert_eq!(refused, 10, "guesses refused");
    let (_, body) = log_in(&app, None, "erin", "password123").await;
    assert!(logged_in(&body), "the owner is locked out: {body}");
    // From an address of no session of hers, even the right password waits.
    let (status, body) = log_in(&app, Some("203.0.113.9"), "erin", "password123").await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
}
both_backends!(guesses_from_elsewhere_do_not_lock_the_owner_out, |config| {
    behind_proxy(config);
    config.rate_limits.login_max_failures_per_account = 10;
});

/// Guesses by username and by email count against one account: five in all, not five
/// each, and then the right password is refused from that address too.
async fn username_and_email_share_one_count(app: TestApp) {
    app.sign_up("carol").await;
    for login in [
        "carol",
        "carol@example.com",
        "carol",
        "Carol@Example.com",
        "carol",
    ] {
        let (_, body) = log_in(&app, Some("198.51.100.7"), login, "wrong-password").await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    for login in ["carol", "carol@example.com"] {
        let (status, body) = log_in(&app, Some("198.51.100.7"), login, "password123").await;
        assert_eq!(
            (status, error_code(&body)),
            (429, Some("RATE_LIMITED")),
            "{login}: {body}"
        );
    }
    // From her own address she still gets in.
    let (_, body) = log_in(&app, None, "carol@example.com", "password123").await;
    assert!(logged_in(&body), "{body}");
}
both_backends!(username_and_email_share_one_count, behind_proxy);

/// IPv6 clients are counted per /64: rotating the low 64 bits neither refills the rate
/// limit nor buys more log-in guesses; another /64 is another client.
async fn ipv6_addresses_of_one_64_share_a_bucket(app: TestApp) {
    let mut first_refusal = None;
    for n in 1..=10 {
        let ip = format!("2001:db8:1:2::{n:x}");
        let (status, body) = post(&app, Some(&ip), USERS, json!({})).await;
        if status == 429 {
            assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
            first_refusal = Some(n);
            break;
        }
        assert!(body["data"]["users"].is_object(), "{body}");
    }
    assert!(
        first_refusal.is_some(),
        "ten addresses of one /64 spent 10 × 20 points"
    );
    let (status, body) = post(&app, Some("2001:db8:1:3::1"), USERS, json!({})).await;
    assert_eq!(status, 200, "another /64 has its own bucket: {body}");

    app.sign_up("dan").await;
    for n in 1..=5 {
        let ip = format!("2001:db8:9:9:{n:x}::1");
        let (_, body) = log_in(&app, Some(&ip), "dan", "wrong-password").await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let (status, body) = log_in(&app, Some("2001:db8:9:9:ffff::1"), "dan", "password123").await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "the sixth guess from the /64: {body}"
    );
}
both_backends!(ipv6_addresses_of_one_64_share_a_bucket, |config| {
    behind_proxy(config);
    config.rate_limits.anonymous_points = 100;
    config.rate_limits.window_secs = 600;
});

fn sign_up_input(username: &str) -> Value {
    json!({ "input": {
        "email": format!("{username}@example.com"),
        "username": username,
        "password": "password123",
    }})
}

/// Sign-ups over the per-address allowance are RATE_LIMITED before anything is hashed or
/// written; another address may still sign up. Successful log-ins have an allowance too.
async fn sign_ups_and_log_ins_are_limited_per_address(app: TestApp) {
    let from = Some("198.51.100.20");
    // A mistake that is refused before the password is hashed uses none of the allowance.
    let mut short = sign_up_input("short");
    short["input"]["password"] = json!("short");
    let (_, body) = post(&app, from, SIGN_UP, short).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    for name in ["one", "two"] {
        let (_, body) = post(&app, from, SIGN_UP, sign_up_input(name)).await;
        assert!(body["data"]["signUp"]["token"].is_string(), "{body}");
    }
    let (status, body) = post(&app, from, SIGN_UP, sign_up_input("three")).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
    let hinted = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    // One sign-up of two per hour comes back after half an hour.
    assert!((1700..=1800).contains(&hinted), "retryAfter {hinted}");
    let users = user::Entity::find().count(app.db()).await.expect("count");
    assert_eq!(users, 2, "the refused sign-up wrote nothing");
    let (_, body) = post(&app, Some("198.51.100.21"), SIGN_UP, sign_up_input("four")).await;
    assert!(body["data"]["signUp"]["token"].is_string(), "{body}");

    for _ in 0..2 {
        let (_, body) = log_in(&app, from, "one", "password123").await;
        assert!(logged_in(&body), "{body}");
    }
    let (status, body) = log_in(&app, from, "two", "password123").await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
    let (_, body) = log_in(&app, Some("198.51.100.21"), "two", "password123").await;
    assert!(logged_in(&body), "{body}");
}
both_backends!(sign_ups_and_log_ins_are_limited_per_address, |config| {
    behind_proxy(config);
    config.rate_limits.sign_ups_per_hour = 2;
    config.rate_limits.log_ins_per_hour = 2;
});

/// A sign-up costs `--password-points` on top of its operation's cost: an anonymous budget
/// of 1,000 points pays for two at 400, not a hundred at 10.
async fn sign_ups_cost_password_points(app: TestApp) {
    let from = Some("198.51.100.30");
    for name in ["one", "two"] {
        let (_, body) = post(&app, from, SIGN_UP, sign_up_input(name)).await;
        assert!(body["data"]["signUp"]["token"].is_string(), "{body}");
    }
    let (status, body) = post(&app, from, SIGN_UP, sign_up_input("three")).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
    let (status, body) = log_in(&app, from, "one", "password123").await;
    assert_eq!(status, 429, "a log-in checks a password too: {body}");
}
both_backends!(sign_ups_cost_password_points, |config| {
    behind_proxy(config);
    config.rate_limits.anonymous_points = 1000;
    config.rate_limits.window_secs = 3600;
    config.rate_limits.password_points = 400;
});

/// With a one-second sweep, an expired session is deleted by the server on its own; live
/// ones stay.
async fn expired_sessions_are_swept(app: TestApp) {
    app.sign_up("old").await;
    let (live, _) = app.sign_up("new").await;
    let old = app.user_id("old").await;
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(session::COLUMN.user_id.eq(old))
        .exec(app.db())
        .await
        .expect("expire");
    let mut left = u64::MAX;
    for _ in 0..50 {
        left = session::Entity::find()
            .count(app.db())
            .await
            .expect("count");
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 1, "the expired session is still there");
    let body = app
        .gql_as(&live, "{ viewer { username } }", json!({}))
        .await;
    assert_eq!(body["data"]["viewer"]["username"], "new", "{body}");
}
both_backends!(expired_sessions_are_swept, |config| {
    behind_proxy(config);
    config.auth.session_sweep_secs = 1;
});

/// A client that spent its budget stays refused while new addresses fill the limiter's
/// map (3 keys here): they share one bucket instead of clearing everyone's.
async fn filling_the_rate_limit_map_refills_nobody(app: TestApp) {
    let spender = Some("198.51.100.40");
    let mut spent = false;
    for _ in 0..10 {
        let (status, _) = post(&app, spender, USERS, json!({})).await;
        if status == 429 {
            spent = true;
            break;
        }
    }
    assert!(spent, "the budget runs out");
    for n in 1..=20 {
        let ip = format!("203.0.113.{n}");
        post(&app, Some(&ip), USERS, json!({})).await;
    }
    let (status, body) = post(&app, spender, USERS, json!({})).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "new keys refilled a spent bucket: {body}"
    );
}
both_backends!(filling_the_rate_limit_map_refills_nobody, |config| {
    behind_proxy(config);
    config.rate_limits.anonymous_points = 100;
    config.rate_limits.window_secs = 3600;
    config.rate_limits.max_clients = 3;
});

async fn failed_log_ins_are_throttled(app: TestApp) {
    app.sign_up("carol").await;
    app.sign_up("dave").await;
    let log_in = |login: &'static str, password: &'static str| {
        post_seeing_retry(
            &app,
            None,
            LOG_IN,
            json!({ "login": login, "password": password }),
        )
    };
    for _ in 0..5 {
        let (_, _, body) = log_in("carol", "wrong-password").await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    // The sixth attempt is refused even with the right password, and says for how long:
    // until the first failure leaves the 15-minute window.
    // By email: it is the same account, whichever name is typed.
    let (status, retry_after, body) = log_in("carol@example.com", "password123").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    let hinted = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((800..=900).contains(&hinted), "retryAfter {hinted}");
    assert_eq!(retry_after, Some(hinted));

    // Another login name from the same address still works, and its success clears only
    // its own failures.
    let (_, _, body) = log_in("dave", "password123").await;
    assert!(body["data"]["logIn"]["token"].is_string(), "{body}");

    // Per address: 5 failures for carol + 3 for unknown names reach the limit of 8, and
    // then even dave is refused from here. Unknown names fail like wrong passwords.
    for name in ["nobody1", "nobody2", "nobody3"] {
        let (_, _, body) = log_in(name, "whatever-password").await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
        assert_eq!(
            body["errors"][0]["message"], "Invalid login or password.",
            "unknown logins look like wrong passwords"
        );
    }
    let (status, _, body) = log_in("dave", "password123").await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
}
both_backends!(failed_log_ins_are_throttled, |config| {
    config.rate_limits.login_max_failures_per_ip = 8;
});

/// Twenty wrong passwords at once for one login name: exactly the limit (5) are checked and
/// the rest refused, since attempts are counted, in turn, before their check.
async fn concurrent_guesses_stay_within_the_limit(app: TestApp) {
    app.sign_up("erin").await;
    let guesses = (0..20).map(|n| {
        post_seeing_retry(
            &app,
            None,
            LOG_IN,
            json!({ "login": "erin", "password": format!("guess-{n}") }),
        )
    });
    let answers = async_graphql::futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|(_, _, body)| error_code(body) == Some("UNAUTHENTICATED"))
        .count();
    let refused = answers
        .iter()
        .filter(|(status, _, body)| *status == 429 && error_code(body) == Some("RATE_LIMITED"))
        .count();
    assert_eq!(checked + refused, 20, "{answers:?}");
    assert_eq!(checked, 5, "passwords checked");
}
both_backends!(concurrent_guesses_stay_within_the_limit, |config| {
    config.rate_limits.login_max_failures_per_ip = 0;
});
