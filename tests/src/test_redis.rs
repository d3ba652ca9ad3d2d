//! Redis for a test, as [`TestDb`](crate::TestDb) is PostgreSQL: the one at TEST_REDIS_URL
//! (default `redis://127.0.0.1:6379`), with a key prefix of the test's own, so that tests
//! running at once never share a key. Its keys are deleted on drop.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Where Redis is when TEST_REDIS_URL does not say (as `.ci/run` starts it).
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

/// One test's share of Redis: its URL and a prefix no other test uses.
pub struct TestRedis {
    url: String,
    prefix: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestRedis {
    /// Redis at TEST_REDIS_URL (or [`DEFAULT_URL`]) with a fresh prefix; `None` when it
    /// does not answer outside CI (the test skips, saying so). In CI (CI=true) a Redis that
    /// does not answer panics: it must never pass as a skip there.
    pub async fn create() -> Option<Self> {
        let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let redis = Self {
            prefix: format!(
                "test:{}:{}:{nanos}:",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            url,
        };
        let ping = async {
            let mut connection = redis.connection().await?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        };
        match tokio::time::timeout(Duration::from_secs(5), ping).await {
            Ok(Ok(_)) => Some(redis),
            answer => {
                let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
                assert!(
                    !in_ci,
                    "CI=true but Redis at {} does not answer: {answer:?}",
                    redis.url
                );
                eprintln!("skipped: Redis at {} does not answer", redis.url);
                None
            }
        }
    }

    /// The server's REDIS_URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's REDIS_KEY_PREFIX.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A connection of the test's own, to look at what the servers wrote.
    pub async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url.as_str())?
            .get_multiplexed_async_connection()
            .await
    }

    /// The bucket stored at `<prefix><key>` (e.g. `points:ip:127.0.0.1`) as last written:
    /// the points it had left, without refill since, and when that was (Redis's clock, in
    /// microseconds, as written); `None` when there is no such key (a full bucket).
    pub async fn bucket(&self, key: &str) -> Option<(f64, String)> {
        let mut connection = self.connection().await.expect("a connection to Redis");
        let (tokens, at): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(format!("{}{key}", self.prefix))
            .arg("tokens")
            .arg("at")
            .query_async(&mut connection)
            .await
            .expect("HMGET");
        Some((tokens?.parse().expect("a number of points"), at?))
    }

    /// The time to live of `<prefix><key>`, in milliseconds (negative: no key or no TTL,
    /// as PTTL says).
    pub async fn ttl_ms(&self, key: &str) -> i64 {
        let mut connection = self.connection().await.expect("a connection to Redis");
        redis::cmd("PTTL")
            .arg(format!("{}{key}", self.prefix))
            .query_async(&mut connection)
            .await
            .expect("PTTL")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        // Best effort: the keys expire anyway once their buckets are full again.
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
            return;
        };
        let pattern = format!("{}*", self.prefix);
        let keys: Vec<String> = match redis::cmd("KEYS").arg(&pattern).query(&mut connection) {
            Ok(keys) => keys,
            Err(_) => return,
        };
        if !keys.is_empty() {
            let _ = redis::cmd("DEL").arg(&keys).exec(&mut connection);
        }
    }
}
