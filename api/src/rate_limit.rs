//! Rate limits in cost points: one token bucket per client, refilled evenly over the
//! window, so a client may burst up to its whole allowance and then spends at the refill
//! rate. Signed-in clients are keyed by session, anonymous ones by IP address.
//!
//! Buckets live in this instance's memory: several instances each grant the allowance, so
//! a load balancer spreading one client over N instances lets it spend up to N times as
//! much. Memory stays bounded by `max_clients`: full buckets are forgotten first (a full
//! bucket is the same as none).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::config::RateLimitConfig;

/// Who a request's points are charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A signed-in request: its session (one token).
    Session(i32),
    /// An anonymous request: the client's IP address.
    Ip(IpAddr),
}

/// A refused charge: how long until it would succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, as Retry-After headers and `extensions.retryAfter` say it.
    pub fn secs(self) -> u64 {
        let whole = self.0.as_secs();
        if self.0.subsec_nanos() > 0 {
            whole + 1
        } else {
            whole.max(1)
        }
    }
}

/// The buckets of every client; cheap to clone.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    signed_in: Option<Rate>,
    anonymous: Option<Rate>,
    max_clients: usize,
    buckets: Arc<Mutex<HashMap<ClientKey, Bucket>>>,
}

/// A bucket's size and refill rate; absent when the limit is off.
#[derive(Debug, Clone, Copy)]
struct Rate {
    capacity: f64,
    per_sec: f64,
}

impl Rate {
    fn new(points: u64, window: Duration) -> Option<Self> {
        (points > 0).then(|| Self {
            capacity: points as f64,
            per_sec: points as f64 / window.as_secs_f64().max(0.001),
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refilled(self, rate: Rate, now: Instant) -> Self {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        Self {
            tokens: (self.tokens + elapsed * rate.per_sec).min(rate.capacity),
            updated: now,
        }
    }
}

impl RateLimiter {
    /// The limiter `config` describes.
    pub fn new(config: &RateLimitConfig) -> Self {
        Self {
            signed_in: Rate::new(config.points, config.window()),
            anonymous: Rate::new(config.anonymous_points, config.window()),
            max_clients: config.max_clients.max(1),
            buckets: Arc::default(),
        }
    }

    /// Takes `points` from `key`'s bucket, or says how long to wait when it holds too few
    /// (and then takes nothing). A charge larger than the whole bucket is capped at it, so
    /// that such a request can still run once the bucket is full.
    pub fn charge(&self, key: &ClientKey, points: u64) -> Result<(), RetryAfter> {
        let rate = match key {
            ClientKey::Session(_) => self.signed_in,
            ClientKey::Ip(_) => self.anonymous,
        };
        let Some(rate) = rate else {
            return Ok(());
        };
        let wanted = (points as f64).min(rate.capacity);
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-charge; the map is
        // still a valid map of buckets.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(key) && buckets.len() >= self.max_clients {
            self.forget_full(&mut buckets, now);
        }
        let bucket = buckets.get(key).copied().map_or(
            Bucket {
                tokens: rate.capacity,
                updated: now,
            },
            |bucket| bucket.refilled(rate, now),
        );
        if bucket.tokens + f64::EPSILON < wanted {
            buckets.insert(key.clone(), bucket);
            let wait = (wanted - bucket.tokens) / rate.per_sec;
            return Err(RetryAfter(Duration::from_secs_f64(wait)));
        }
        buckets.insert(
            key.clone(),
            Bucket {
                tokens: bucket.tokens - wanted,
                ..bucket
            },
        );
        Ok(())
    }

    /// Drops buckets that have refilled; if every bucket is still in use, drops them all
    /// rather than grow without bound (a flood of distinct clients then passes for a
    /// moment, which is logged).
    fn forget_full(&self, buckets: &mut HashMap<ClientKey, Bucket>, now: Instant) {
        buckets.retain(|key, bucket| {
            let rate = match key {
                ClientKey::Session(_) => self.signed_in,
                ClientKey::Ip(_) => self.anonymous,
            };
            rate.is_some_and(|rate| bucket.refilled(rate, now).tokens < rate.capacity)
        });
        if buckets.len() >= self.max_clients {
            tracing::warn!(
                clients = buckets.len(),
                "rate limiter full: forgetting every client's bucket"
            );
            buckets.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(points: u64, max_clients: usize) -> RateLimiter {
        let mut config = crate::Config::defaults().rate_limits;
        config.points = points;
        config.anonymous_points = points;
        config.window_secs = 60;
        config.max_clients = max_clients;
        RateLimiter::new(&config)
    }

    #[test]
    fn a_bucket_allows_its_points_then_says_when_to_retry() {
        let limiter = limiter(100, 10);
        let key = ClientKey::Session(1);
        assert_eq!(limiter.charge(&key, 60), Ok(()));
        assert_eq!(limiter.charge(&key, 40), Ok(()));
        let refused = limiter.charge(&key, 30);
        // 30 points at 100 per 60 s take 18 s to come back.
        assert!(matches!(refused, Err(wait) if (17..=18).contains(&wait.secs())));
        // Other clients have their own buckets.
        assert_eq!(limiter.charge(&ClientKey::Session(2), 100), Ok(()));
    }

    #[test]
    fn zero_points_turns_the_limit_off() {
        let limiter = limiter(0, 10);
        for _ in 0..1000 {
            assert_eq!(limiter.charge(&ClientKey::Session(1), 1_000_000), Ok(()));
        }
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = limiter(100, 50);
        for id in 0..10_000 {
            let _ = limiter.charge(&ClientKey::Session(id), 10);
        }
        let held = limiter
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        assert!(held <= 50, "{held} buckets held");
    }
}
