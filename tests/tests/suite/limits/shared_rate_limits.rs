//! Rate limits shared through Redis (`--redis-url`): instances using one Redis spend from
//! one budget per client, and while Redis is away each instance falls back to its own
//! buckets, serving requests as before, until Redis answers again.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{
    Backend,
    fault_proxy::FaultProxy,
    server_process::ServerProcess,
    test_app::{TestApp, error_code},
    test_redis::TestRedis,
};

const SERVER: &str = env!("CARGO_BIN_EXE_second_instance");

/// Costs 40: a page of 20 users and a page of 20 tags, counted.
const COSTS_40: &str = "{ a: users(first: 20) { totalCount } b: tags(first: 20) { totalCount } }";

/// Costs 1 (every operation costs at least a point).
const COSTS_1: &str = "{ __typename }";

/// The anonymous bucket's key: every test client is 127.0.0.1.
const ANONYMOUS: &str = "points:ip:127.0.0.1";

/// POSTs `query` to `base` (`http://host:port`) with an optional token; the status and body.
async fn post(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .timeout(Duration::from_secs(10))
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// Asserts that `query` ran (200, no error).
async fn granted(base: &str, token: Option<&str>, query: &str) {
    let (status, body) = post(base, token, query).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

/// Asserts that `query` was refused by the rate limit.
async fn refused(base: &str, token: Option<&str>, query: &str) {
    let (status, body) = post(base, token, query).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
}

/// 100 points per client per 600 s (so that a test's few seconds refill less than a
/// point), kept in `redis_url` under `prefix`.
fn limits(config: &mut api::Config, redis_url: &str, prefix: &str) {
    config.rate_limits.points = 100;
    config.rate_limits.anonymous_points = 100;
    config.rate_limits.window_secs = 600;
    config.redis.redis_url = Some(redis_url.to_owned());
    config.redis.redis_key_prefix = prefix.to_owned();
}

/// Two instances on one database and one Redis: what a client spends on one is gone on
/// the other, for a session and for an address. Each on its own would grant its whole
/// allowance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_budget() {
    let Some(redis) = TestRedis::create().await else {
        return;
    };
    let Some(app) = TestApp::start_with(Backend::Postgres, |config| {
        limits(config, redis.url(), redis.prefix());
    })
    .await
    else {
        return;
    };
    let second = ServerProcess::start_with_env(
        std::path::Path::new(SERVER),
        app.database_url(),
        &[
            ("REDIS_URL", redis.url()),
            ("REDIS_KEY_PREFIX", redis.prefix()),
            ("RATE_LIMIT_POINTS", "100"),
            ("RATE_LIMIT_ANONYMOUS_POINTS", "100"),
            ("RATE_LIMIT_WINDOW_SECS", "600"),
            ("SIGN_UPS_PER_HOUR", "0"),
            ("LOG_INS_PER_HOUR", "0"),
            ("PASSWORD_POINTS", "0"),
        ],
    )
    .await;
    let first = app.url("");
    let second = second.url("");

    // A session: 80 of its 100 points on the first instance, so 40 more is too much on
    // the second.
    let (alice, _) = app.sign_up("alice").await;
    granted(&first, Some(&alice), COSTS_40).await;
    granted(&first, Some(&alice), COSTS_40).await;
    refused(&second, Some(&alice), COSTS_40).await;
    refused(&first, Some(&alice), COSTS_40).await;

    // An address: the sign-up took 10 of its 100; 40 on each instance, then nothing more
    // on either.
    granted(&second, None, COSTS_40).await;
    granted(&first, None, COSTS_40).await;
    refused(&second, None, COSTS_40).await;
    refused(&first, None, COSTS_40).await;

    // Redis keeps the bucket only until it would be full again: 10 points spent of 100 per
    // 600 s come back within 60 s (the refused charges took nothing).
    let left = redis
        .bucket(ANONYMOUS)
        .await
        .expect("the address's bucket")
        .0;
    assert!((9.0..11.0).contains(&left), "{left} points left");
    let ttl = redis.ttl_ms(ANONYMOUS).await;
    assert!((1..=540_000).contains(&ttl), "expires in {ttl} ms");
}

/// Redis goes away (connections reset, then a silent network) and comes back: meanwhile
/// the instance serves every request within its Redis timeout, holding clients to its own
/// buckets; once Redis answers again, the shared budget decides again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_served_while_redis_is_away_and_shared_again_once_back() {
    let Some(redis) = TestRedis::create().await else {
        return;
    };
    let proxy = FaultProxy::start().await;
    let through_proxy = proxy.route(redis.url());
    let Some(app) = TestApp::start_with(Backend::Sqlite, |config| {
        limits(config, &through_proxy, redis.prefix());
        config.redis.redis_timeout_ms = 50;
        config.telemetry.metrics_listen = Some("127.0.0.1:0".parse().expect("an address"));
    })
    .await
    else {
        return;
    };
    let base = app.url("");

    // Shared: 40 of the address's 100 points are spent in Redis.
    granted(&base, None, COSTS_40).await;
    let (left, at) = redis.bucket(ANONYMOUS).await.expect("a bucket in Redis");
    assert_eq!(left, 60.0);

    // Redis refuses connections: requests are served from the instance's own buckets,
    // which start full and hold the client to the same allowance.
    proxy.refuse();
    let started = Instant::now();
    granted(&base, None, COSTS_40).await;
    granted(&base, None, COSTS_40).await;
    refused(&base, None, COSTS_40).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered in {:?}",
        started.elapsed()
    );

    // Redis's network goes silent: each request is still answered, waiting for Redis at
    // most its timeout.
    proxy.blackhole();
    for _ in 0..3 {
        let started = Instant::now();
        granted(&base, None, COSTS_1).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered in {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(
        redis.bucket(ANONYMOUS).await,
        Some((60.0, at.clone())),
        "nothing reached Redis meanwhile"
    );

    // Redis is back: within a few tries (one a second) a charge reaches it again.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let _ = post(&base, None, COSTS_1).await;
        if redis
            .bucket(ANONYMOUS)
            .await
            .is_some_and(|(_, now)| now != at)
        {
            break;
        }
        assert!(Instant::now() < deadline, "Redis is never asked again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Now Redis's bucket decides: it still has about 59 points, where the instance's own
    // has spent nearly all of its 100.
    granted(&base, None, COSTS_40).await;
    refused(&base, None, COSTS_40).await;

    // The fallbacks were counted.
    let metrics = reqwest::get(app.metrics_url("/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    let fallbacks = metrics
        .lines()
        .find(|line| line.starts_with("todo_api_rate_limit_redis_total{result=\"fallback\"}"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|count| count.parse::<f64>().ok());
    assert!(
        fallbacks.is_some_and(|count| count >= 5.0),
        "fallbacks counted: {fallbacks:?}\n{metrics}"
    );
}
