//! Rate limits in cost points: one token bucket per client, refilled evenly over the
//! window, so a client may burst up to its whole allowance and then spends at the refill
//! rate. Signed-in clients are keyed by session, anonymous ones by IP address (IPv6 by its
//! /64, the block one subscriber is usually given, so rotating addresses within it gains
//! nothing). Sign-ups and successful log-ins have allowances of their own per address.
//!
//! The cost budgets live in Redis when `--redis-url` is set (`shared`), so that every
//! instance spends from the same buckets; otherwise, and while Redis does not answer, in
//! this instance's memory: several instances then each grant the allowance, so a load
//! balancer spreading one client over N instances lets it spend up to N times as much.
//! Sign-up and log-in allowances are always per instance (failed log-ins are counted in the
//! database, so that throttling holds across instances). Memory stays bounded by `max_clients`: full buckets are forgotten first (a full
//! bucket is the same as none); when every remembered bucket is still in use, new clients
//! share one overflow bucket until some refill, so that a flood of new keys (rotating
//! addresses) never gives anyone back budget they spent.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{
    config::{RateLimitConfig, RedisConfig},
    error::Error,
};

mod shared;

/// Who a request's points are charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A signed-in request: its session (one token).
    Session(i32),
    /// An anonymous request: the client's IP address (counted by its [`network`]).
    Ip(IpAddr),
}

/// The address a limit counts `ip` under: IPv6 addresses by their /64 (the bits after it
/// are the subscriber's to choose), IPv4 ones (and IPv4 mapped into IPv6) as they are.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

/// How [`network`] is written where it is stored: `2001:db8:1:2::/64`, or the IPv4 address.
pub fn network_text(ip: IpAddr) -> String {
    match network(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
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
    points: Buckets<ClientKey>,
    sign_up_rate: Option<Rate>,
    sign_ups: Buckets<IpAddr>,
    log_in_rate: Option<Rate>,
    log_ins: Buckets<IpAddr>,
    /// The cost budgets' buckets in Redis, when they are shared.
    shared: Option<shared::SharedBuckets>,
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
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: rate.capacity,
            updated: now,
        }
    }

    fn refilled(self, rate: Rate, now: Instant) -> Self {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        Self {
            tokens: (self.tokens + elapsed * rate.per_sec).min(rate.capacity),
            updated: now,
        }
    }
}

/// A full table looks for refilled buckets to forget at most this often: the look is a
/// walk over every bucket, which a flood of new keys must not get to repeat per request.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Buckets by key, at most `max` of them, plus one overflow bucket per class of key.
#[derive(Debug, Clone)]
struct Buckets<K> {
    max: usize,
    table: Arc<Mutex<Table<K>>>,
}

#[derive(Debug)]
struct Table<K> {
    buckets: HashMap<K, Bucket>,
    /// Shared, per class (signed-in, anonymous), by new keys while the table is full.
    overflow: [Option<Bucket>; 2],
    swept: Option<Instant>,
}

/// What a [`Buckets::spend`] does with the points once it knows they are there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spend {
    Take,
    /// Only says whether they are there.
    Check,
}

impl<K: Clone + Eq + std::hash::Hash> Buckets<K> {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            table: Arc::new(Mutex::new(Table {
                buckets: HashMap::new(),
                overflow: [None, None],
                swept: None,
            })),
        }
    }

    /// Spends `points` (capped at the bucket's size, so that any charge can succeed once
    /// the bucket is full) from `key`'s bucket of `class`, or says how long to wait (and
    /// then takes nothing). `rate_of` tells every key's rate, to find full buckets.
    fn spend(
        &self,
        key: &K,
        class: usize,
        rate: Rate,
        points: u64,
        spend: Spend,
        rate_of: impl Fn(&K) -> Option<Rate>,
    ) -> Result<(), RetryAfter> {
        let wanted = (points as f64).min(rate.capacity);
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-charge; the map is
        // still a valid map of buckets.
        let mut guard = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let table = &mut *guard;
        let known = table.buckets.contains_key(key);
        if !known && table.buckets.len() >= self.max {
            table.sweep(now, self.max, rate_of);
        }
        let bucket = if known || table.buckets.len() < self.max {
            table
                .buckets
                .entry(key.clone())
                .or_insert_with(|| Bucket::full(rate, now))
        } else {
            table.overflow[class].get_or_insert_with(|| Bucket::full(rate, now))
        };
        *bucket = bucket.refilled(rate, now);
        if bucket.tokens + f64::EPSILON < wanted {
            let wait = (wanted - bucket.tokens) / rate.per_sec;
            return Err(RetryAfter(Duration::from_secs_f64(wait)));
        }
        if spend == Spend::Take {
            bucket.tokens -= wanted;
        }
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .buckets
            .len()
    }
}

impl<K: Clone + Eq + std::hash::Hash> Table<K> {
    /// Forgets buckets that have refilled (a full bucket is the same as none). Those still
    /// in use are kept whatever the pressure: forgetting one would hand its client a full
    /// bucket again.
    fn sweep(&mut self, now: Instant, max: usize, rate_of: impl Fn(&K) -> Option<Rate>) {
        if self
            .swept
            .is_some_and(|at| now.saturating_duration_since(at) < SWEEP_EVERY)
        {
            return;
        }
        self.swept = Some(now);
        self.buckets.retain(|key, bucket| {
            rate_of(key).is_some_and(|rate| bucket.refilled(rate, now).tokens < rate.capacity)
        });
        if self.buckets.len() >= max {
            // At most once per sweep interval.
            tracing::warn!(
                clients = self.buckets.len(),
                "rate limiter full: new clients share one bucket until others refill"
            );
        }
    }
}

impl RateLimiter {
    /// The limiter `config` describes.
    pub fn new(config: &RateLimitConfig) -> Self {
        let hour = Duration::from_secs(3600);
        Self {
            signed_in: Rate::new(config.points, config.window()),
            anonymous: Rate::new(config.anonymous_points, config.window()),
            points: Buckets::new(config.max_clients),
            sign_up_rate: Rate::new(u64::from(config.sign_ups_per_hour), hour),
            sign_ups: Buckets::new(config.max_clients),
            log_in_rate: Rate::new(u64::from(config.log_ins_per_hour), hour),
            log_ins: Buckets::new(config.max_clients),
            shared: None,
        }
    }

    /// The same limiter with its cost budgets kept in the Redis `redis` names, if it names
    /// one; connects before it returns when it can (waiting at most a second), and
    /// otherwise starts with this instance's own buckets. Fails only on a malformed URL.
    pub async fn shared_through(mut self, redis: &RedisConfig) -> Result<Self, Error> {
        self.shared = shared::SharedBuckets::new(redis)?;
        if let Some(shared) = &self.shared {
            shared.connect(Duration::from_secs(1)).await;
        }
        Ok(self)
    }

    /// Takes `points` from `key`'s bucket, or says how long to wait when it holds too few
    /// (and then takes nothing). A charge larger than the whole bucket is capped at it, so
    /// that such a request can still run once the bucket is full. With Redis, the bucket is
    /// the one every instance shares; while Redis does not answer, this instance's own.
    pub async fn charge(&self, key: &ClientKey, points: u64) -> Result<(), RetryAfter> {
        let (key, class) = match key {
            ClientKey::Session(_) => (key.clone(), 0),
            ClientKey::Ip(ip) => (ClientKey::Ip(network(*ip)), 1),
        };
        let Some(rate) = self.rate_of(&key) else {
            return Ok(());
        };
        if let Some(shared) = &self.shared
            && let Some(answer) = shared.spend(&key, rate, points).await
        {
            return answer;
        }
        self.points
            .spend(&key, class, rate, points, Spend::Take, |key| {
                self.rate_of(key)
            })
    }

    /// Counts a sign-up from `ip` against its hourly allowance, or says how long to wait.
    pub fn sign_up(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        Self::per_address(&self.sign_ups, self.sign_up_rate, ip, Spend::Take)
    }

    /// Whether `ip` may still log in successfully this hour; [`Self::logged_in`] counts
    /// a success. Asked before the password is checked, so that an address over its
    /// allowance costs no hash.
    pub fn may_log_in(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        Self::per_address(&self.log_ins, self.log_in_rate, ip, Spend::Check)
    }

    /// Counts a successful log-in from `ip`.
    pub fn logged_in(&self, ip: IpAddr) {
        // Several successes at once may take the last point together: the allowance is
        // then exceeded by those few, which the next check refuses.
        let _ = Self::per_address(&self.log_ins, self.log_in_rate, ip, Spend::Take);
    }

    fn per_address(
        buckets: &Buckets<IpAddr>,
        rate: Option<Rate>,
        ip: IpAddr,
        spend: Spend,
    ) -> Result<(), RetryAfter> {
        let Some(rate) = rate else {
            return Ok(());
        };
        buckets.spend(&network(ip), 0, rate, 1, spend, |_| Some(rate))
    }

    fn rate_of(&self, key: &ClientKey) -> Option<Rate> {
        match key {
            ClientKey::Session(_) => self.signed_in,
            ClientKey::Ip(_) => self.anonymous,
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

    #[tokio::test]
    async fn a_bucket_allows_its_points_then_says_when_to_retry() {
        let limiter = limiter(100, 10);
        let key = ClientKey::Session(1);
        assert_eq!(limiter.charge(&key, 60).await, Ok(()));
        assert_eq!(limiter.charge(&key, 40).await, Ok(()));
        let refused = limiter.charge(&key, 30).await;
        // 30 points at 100 per 60 s take 18 s to come back.
        assert!(matches!(refused, Err(wait) if (17..=18).contains(&wait.secs())));
        // Other clients have their own buckets.
        assert_eq!(limiter.charge(&ClientKey::Session(2), 100).await, Ok(()));
    }

    #[tokio::test]
    async fn zero_points_turns_the_limit_off() {
        let limiter = limiter(0, 10);
        for _ in 0..1000 {
            assert_eq!(
                limiter.charge(&ClientKey::Session(1), 1_000_000).await,
                Ok(())
            );
        }
    }

    #[tokio::test]
    async fn memory_stays_bounded() {
        let limiter = limiter(100, 50);
        for id in 0..10_000 {
            let _ = limiter.charge(&ClientKey::Session(id), 10).await;
        }
        let held = limiter.points.len();
        assert!(held <= 50, "{held} buckets held");
    }

    #[tokio::test]
    async fn new_keys_in_a_full_table_share_one_bucket_and_give_nobody_budget_back() {
        let limiter = limiter(100, 3);
        let spent = ClientKey::Session(0);
        assert_eq!(limiter.charge(&spent, 100).await, Ok(()));
        let mut refused = 0;
        for id in 1..100 {
            refused += usize::from(limiter.charge(&ClientKey::Session(id), 10).await.is_err());
        }
        // Two newcomers got buckets of their own; 97 more shared 100 points.
        assert_eq!(refused, 97 - 10);
        assert!(
            limiter.charge(&spent, 10).await.is_err(),
            "the spent bucket stays spent"
        );
    }

    #[tokio::test]
    async fn ipv6_addresses_count_per_64() {
        // Unparsable text is the unspecified address, which no assertion below expects.
        let ip = |text: &str| {
            text.parse::<IpAddr>()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
        };
        assert_eq!(network(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(network(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(ip("192.0.2.7"), ip("0.0.0.0"));
        assert_eq!(
            network_text(ip("2001:db8:1:2:3:4:5:6")),
            "2001:db8:1:2::/64"
        );
        let limiter = limiter(100, 10);
        assert_eq!(
            limiter.charge(&ClientKey::Ip(ip("2001:db8::1")), 100).await,
            Ok(())
        );
        assert!(
            limiter
                .charge(&ClientKey::Ip(ip("2001:db8::2")), 10)
                .await
                .is_err()
        );
        assert_eq!(
            limiter
                .charge(&ClientKey::Ip(ip("2001:db8:0:1::1")), 10)
                .await,
            Ok(())
        );
    }
}
