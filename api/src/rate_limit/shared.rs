//! Cost budgets kept in Redis (`--redis-url`), so that every instance using it spends from
//! the same buckets: a client behind a load balancer gets its allowance once, not once per
//! instance.
//!
//! One charge is one round trip: a Lua script (`charge.lua`, sent by its hash with EVALSHA,
//! and by its text only when Redis does not know it yet) that refills and spends the bucket
//! atomically, on Redis's clock. Each bucket is a key that expires when it would be full
//! again, so Redis holds only the buckets in use.
//!
//! While Redis does not answer within `--redis-timeout-ms`, charges fall back to the
//! instance's own buckets (the limit then holds per instance, as without Redis) and Redis
//! is left alone for [`RETRY_AFTER`], so that a dead Redis costs one timeout per instance
//! per interval rather than one per request; then a single charge tries it again, on a new
//! connection. A request is never refused because Redis is down.

use std::{
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{ClientKey, Rate, RetryAfter, network_text};
use crate::{config::RedisConfig, error::Error};

/// How long charges stay with the instance's own buckets after Redis failed to answer,
/// before one tries it again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The script every charge runs.
const CHARGE: &str = include_str!("charge.lua");

/// The buckets in Redis; cheap to clone.
#[derive(Clone)]
pub(super) struct SharedBuckets {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SharedBuckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: only the prefix is shown.
        f.debug_struct("SharedBuckets")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

struct Inner {
    client: Client,
    /// One multiplexed connection, shared by all concurrent charges; replaced by a new
    /// (lazily connected) one after a failure, since a connection that timed out may be
    /// one that will never answer again.
    connection: RwLock<ConnectionManager>,
    script: Script,
    prefix: String,
    timeout: Duration,
    /// When this was made: the clock that `retry_at` counts on.
    epoch: Instant,
    /// Milliseconds after `epoch` before which Redis is not tried; 0 while it answers.
    retry_at: AtomicU64,
}

impl SharedBuckets {
    /// Buckets in the Redis `config` names; `None` when it names none. Connects lazily:
    /// [`SharedBuckets::connect`] makes the first connection.
    pub(super) fn new(config: &RedisConfig) -> Result<Option<Self>, Error> {
        let Some(url) = config.redis_url.as_deref() else {
            return Ok(None);
        };
        // The URL is not in the message: it may hold a password.
        let client = Client::open(url)
            .map_err(|err| Error::Internal(format!("REDIS_URL is not a Redis URL: {err}")))?;
        let timeout = config.timeout();
        let connection = lazy_connection(&client, timeout)?;
        Ok(Some(Self {
            inner: Arc::new(Inner {
                client,
                connection: RwLock::new(connection),
                script: Script::new(CHARGE),
                prefix: config.redis_key_prefix.clone(),
                timeout,
                epoch: Instant::now(),
                retry_at: AtomicU64::new(0),
            }),
        }))
    }

    /// Connects and loads the script, waiting up to `wait`, so that the first requests
    /// find both ready. A Redis that is not there yet is only logged: charges fall back to
    /// the instance's own buckets until it answers.
    pub(super) async fn connect(&self, wait: Duration) {
        let mut connection = self.connection();
        let invocation = self.inner.script.prepare_invoke();
        match tokio::time::timeout(wait, invocation.load_async(&mut connection)).await {
            Ok(Ok(_)) => tracing::info!("rate limits are shared through Redis"),
            Ok(Err(err)) => self.failed(&err),
            Err(_) => self.failed(&"no answer in time"),
        }
    }

    /// Spends `points` from `key`'s bucket of `rate` in Redis: `None` when Redis did not
    /// answer (or is being left alone after it did not), and the instance's own buckets
    /// must decide.
    pub(super) async fn spend(
        &self,
        key: &ClientKey,
        rate: Rate,
        points: u64,
    ) -> Option<Result<(), RetryAfter>> {
        if !self.may_try() {
            crate::metrics::rate_limit_redis("fallback");
            return None;
        }
        let wanted = (points as f64).min(rate.capacity);
        let mut connection = self.connection();
        let mut invocation = self.inner.script.key(self.key(key));
        invocation.arg(rate.capacity).arg(rate.per_sec).arg(wanted);
        let answer = tokio::time::timeout(
            self.inner.timeout,
            invocation.invoke_async::<i64>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok(wait_ms)) => {
                self.answered();
                crate::metrics::rate_limit_redis("ok");
                Some(match u64::try_from(wait_ms) {
                    Ok(0) | Err(_) => Ok(()),
                    Ok(ms) => Err(RetryAfter(Duration::from_millis(ms))),
                })
            }
            Ok(Err(err)) => {
                self.failed(&err);
                crate::metrics::rate_limit_redis("fallback");
                None
            }
            Err(_) => {
                self.failed(&"no answer in time");
                crate::metrics::rate_limit_redis("fallback");
                None
            }
        }
    }

    /// The key of `key`'s bucket: `<prefix>points:session:<id>` or
    /// `<prefix>points:ip:<network>`.
    fn key(&self, key: &ClientKey) -> String {
        let prefix = &self.inner.prefix;
        match key {
            ClientKey::Session(id) => format!("{prefix}points:session:{id}"),
            ClientKey::Ip(ip) => format!("{prefix}points:ip:{}", network_text(*ip)),
        }
    }

    fn connection(&self) -> ConnectionManager {
        self.inner
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether this charge may ask Redis: always while it answers; after a failure, once
    /// [`RETRY_AFTER`] has passed, and then only one charge, which pushes the next try
    /// further while it asks, on a new connection (the old one may never answer again).
    fn may_try(&self) -> bool {
        let retry_at = self.inner.retry_at.load(Ordering::Relaxed);
        if retry_at == 0 {
            return true;
        }
        let now = self.now_ms();
        let chosen = now >= retry_at
            && self
                .inner
                .retry_at
                .compare_exchange(
                    retry_at,
                    now + retry_after_ms(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if chosen {
            match lazy_connection(&self.inner.client, self.inner.timeout) {
                Ok(fresh) => {
                    *self
                        .inner
                        .connection
                        .write()
                        .unwrap_or_else(PoisonError::into_inner) = fresh;
                }
                // Only a configuration error fails here, and it was checked at start.
                Err(err) => tracing::warn!(error = %err, "cannot make a new Redis connection"),
            }
        }
        chosen
    }

    fn answered(&self) {
        // Read first: while Redis answers, charges on every core only read the flag.
        if self.inner.retry_at.load(Ordering::Relaxed) != 0
            && self.inner.retry_at.swap(0, Ordering::Relaxed) != 0
        {
            tracing::info!("Redis answers again: rate limits are shared across instances again");
        }
    }

    /// Leaves Redis alone for [`RETRY_AFTER`]; warns once per outage.
    fn failed(&self, err: &dyn std::fmt::Display) {
        let was = self
            .inner
            .retry_at
            .swap(self.now_ms() + retry_after_ms(), Ordering::Relaxed);
        if was == 0 {
            tracing::warn!(
                error = %err,
                "Redis does not answer: each instance counts rate limits in its own buckets \
                 until it does"
            );
        }
    }
}

fn retry_after_ms() -> u64 {
    u64::try_from(RETRY_AFTER.as_millis()).unwrap_or(u64::MAX)
}

/// A connection to `client` made on its first use, whose connecting and commands each
/// give up after `timeout`, and which tries to connect once: [`SharedBuckets`] paces the
/// retries itself.
fn lazy_connection(client: &Client, timeout: Duration) -> Result<ConnectionManager, Error> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(0);
    ConnectionManager::new_lazy_with_config(client.clone(), config)
        .map_err(|err| Error::Internal(format!("Redis connection: {err}")))
}
