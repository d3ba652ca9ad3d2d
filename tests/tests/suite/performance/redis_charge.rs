//! What one rate-limit charge costs when the budgets live in Redis (`--redis-url`): the
//! limiter's own `charge`, as every request calls it, against the Redis at TEST_REDIS_URL,
//! one charge at a time and then from 32 tasks at once over the one shared connection,
//! next to the same charges in memory. BENCHMARKS.md ("Shared rate limits through Redis")
//! has the figures; it prints them (on stderr) with `--nocapture`.
//!
//! The measuring run is ignored by default (it takes a few seconds of a core); a short run
//! of it checks in every test run that the charges succeed and stay far below a request's
//! time.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::{Duration, Instant},
};

use api::rate_limit::{ClientKey, RateLimiter};
use tests::test_redis::TestRedis;

/// A limiter whose budgets (large enough never to refuse here) are in Redis when `redis`
/// is given.
async fn limiter(redis: Option<&TestRedis>) -> RateLimiter {
    let mut config = api::Config::defaults();
    config.rate_limits.points = 1_000_000_000;
    config.rate_limits.anonymous_points = 1_000_000_000;
    // Refilled at a point a second, so that the buckets stay in Redis to be looked at.
    config.rate_limits.window_secs = 1_000_000_000;
    if let Some(redis) = redis {
        config.redis.redis_url = Some(redis.url().to_owned());
        config.redis.redis_key_prefix = redis.prefix().to_owned();
        // Measured, not fallen back from: a slow machine must not turn a charge into a
        // fallback.
        config.redis.redis_timeout_ms = 5_000;
    }
    RateLimiter::new(&config.rate_limits)
        .shared_through(&config.redis)
        .await
        .expect("a Redis URL")
}

/// Each charge's time, in microseconds, sorted: `tasks` tasks (on one limiter, so one
/// connection) each making `per_task` charges, every task for a client of its own.
async fn charges(limiter: &RateLimiter, tasks: u32, per_task: u32) -> Vec<f64> {
    let limiter = Arc::new(limiter.clone());
    let mut handles = Vec::new();
    for task in 0..tasks {
        let limiter = limiter.clone();
        handles.push(tokio::spawn(async move {
            let key = ClientKey::Ip(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + task)));
            let mut times = Vec::with_capacity(per_task as usize);
            for _ in 0..per_task {
                let started = Instant::now();
                let charged = limiter.charge(&key, 10).await;
                times.push(started.elapsed().as_secs_f64() * 1e6);
                assert_eq!(charged, Ok(()));
            }
            times
        }));
    }
    let mut times = Vec::new();
    for handle in handles {
        times.extend(handle.await.expect("the task ran"));
    }
    times.sort_by(f64::total_cmp);
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

/// Measures, prints and returns `(median, p99)` in µs, and charges per second overall.
async fn measure(what: &str, limiter: &RateLimiter, tasks: u32, per_task: u32) -> (f64, f64) {
    // Warm: the connection, the script in Redis's cache.
    let _ = charges(limiter, tasks, 20).await;
    let started = Instant::now();
    let times = charges(limiter, tasks, per_task).await;
    let rate = times.len() as f64 / started.elapsed().as_secs_f64();
    let (median, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    eprintln!(
        "{what:>8}, {tasks:>2} at once: median {median:>7.1} µs, p99 {p99:>7.1} µs, {rate:>8.0} charges/s ({} charges)",
        times.len()
    );
    (median, p99)
}

async fn run(per_task: u32) -> Option<Vec<(f64, f64)>> {
    let redis = TestRedis::create().await?;
    let shared = limiter(Some(&redis)).await;
    let local = limiter(None).await;
    let mut figures = Vec::new();
    for tasks in [1, 32] {
        figures.push(measure("memory", &local, tasks, per_task).await);
        figures.push(measure("redis", &shared, tasks, per_task).await);
    }
    // Every charge went to Redis: its bucket is there, the fallback never ran.
    assert!(
        redis.bucket("points:ip:10.0.0.0").await.is_some(),
        "the charges reached Redis"
    );
    Some(figures)
}

/// A short run: charges through Redis succeed and take well under a millisecond or so each
/// (a generous bound: the machine is shared with the rest of the suite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_through_redis_is_one_quick_round_trip() {
    let Some(figures) = run(50).await else {
        return;
    };
    let (redis_median, _) = figures[1];
    assert!(
        redis_median < Duration::from_millis(20).as_secs_f64() * 1e6,
        "median {redis_median} µs"
    );
}

/// The figures of BENCHMARKS.md:
/// `cargo test --release -p tests --test suite -- --ignored redis_charge --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it by name (BENCHMARKS.md)"]
async fn redis_charge_figures() {
    let _ = run(5_000).await;
}
