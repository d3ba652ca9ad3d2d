//! This instance's open WebSockets: counted by client address from the upgrade on and by
//! user once authenticated, and, for each, the switch that closes it when its session is no
//! longer valid (logged out, expired, deactivated, another role). The hub flips the switch
//! on a notice from any instance; the periodic check (`events::checks`) on what no notice
//! told.
//!
//! The caps hold on this instance only: instances do not share their counts.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use entity::user::Role;
use tokio::sync::watch;

use crate::error::{Error, Result};

/// The caps on open sockets; 0 is no cap.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocketLimits {
    /// Authenticated sockets per user.
    pub per_user: usize,
    /// Sockets per client address (IPv6: per /64), authenticated or not.
    pub per_address: usize,
}

/// Flipped once the session a socket serves is no longer valid: the socket then closes
/// (4401), and runs nothing more meanwhile.
#[derive(Debug)]
pub struct SessionEnd(watch::Sender<bool>);

impl SessionEnd {
    fn new() -> Self {
        Self(watch::Sender::new(false))
    }

    /// Ends the session for this socket; idempotent.
    pub fn end(&self) {
        self.0.send_replace(true);
    }

    /// Whether the session has ended.
    pub fn has_ended(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the session has ended.
    pub async fn ended(&self) {
        let mut ended = self.0.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = ended.wait_for(|ended| *ended).await;
    }
}

/// A signed-in socket.
struct Member {
    user_id: i32,
    session_id: i32,
    role: Role,
    end: Arc<SessionEnd>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    open: usize,
    per_address: HashMap<IpAddr, usize>,
    per_user: HashMap<i32, usize>,
    members: HashMap<u64, Member>,
}

/// The open sockets of this instance.
#[derive(Default)]
pub struct Sockets {
    registry: Mutex<Registry>,
    limits: SocketLimits,
}

fn over(count: usize, cap: usize) -> bool {
    cap > 0 && count >= cap
}

fn decrement<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(count) = counts.get_mut(key) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            counts.remove(key);
        }
    }
}

impl Sockets {
    /// No socket yet, with these caps.
    pub fn new(limits: SocketLimits) -> Self {
        Self {
            registry: Mutex::default(),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Every change is one call under the lock, so the maps stay consistent.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new socket of `ip`; `None` when that address has as many as it may.
    pub fn open(self: &Arc<Self>, ip: IpAddr) -> Option<Socket> {
        let address = crate::rate_limit::network(ip);
        let mut registry = self.lock();
        let count = registry.per_address.get(&address).copied().unwrap_or(0);
        if over(count, self.limits.per_address) {
            return None;
        }
        registry.per_address.insert(address, count + 1);
        registry.next_id += 1;
        registry.open += 1;
        Some(Socket {
            sockets: self.clone(),
            id: registry.next_id,
            address,
        })
    }

    /// Open sockets, signed in or not.
    pub fn len(&self) -> usize {
        self.lock().open
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sessions that signed-in sockets serve, each with the role it was opened with.
    pub fn sessions(&self) -> Vec<(i32, Role)> {
        let mut sessions: Vec<(i32, Role)> = self
            .lock()
            .members
            .values()
            .map(|member| (member.session_id, member.role))
            .collect();
        sessions.sort_unstable_by_key(|(id, _)| *id);
        sessions.dedup();
        sessions
    }

    /// Ends the sockets of `session_id`.
    pub fn end_session(&self, session_id: i32) {
        self.end_where(|member| member.session_id == session_id);
    }

    /// Ends every socket of `user_id`.
    pub fn end_user(&self, user_id: i32) {
        self.end_where(|member| member.user_id == user_id);
    }

    /// Ends the sockets whose session is not in `live` with the role they were opened with.
    pub fn end_unless(&self, live: &HashMap<i32, Role>) {
        self.end_where(|member| live.get(&member.session_id) != Some(&member.role));
    }

    fn end_where(&self, ends: impl Fn(&Member) -> bool) {
        for member in self.lock().members.values().filter(|member| ends(member)) {
            member.end.end();
        }
    }
}

/// Whose session a socket runs under.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    /// The signed-in user.
    pub user_id: i32,
    /// Their session; its end closes the socket.
    pub session_id: i32,
    /// Their role when the socket opened; a change closes the socket.
    pub role: Role,
}

/// One open socket's place; given back when dropped.
pub struct Socket {
    sockets: Arc<Sockets>,
    id: u64,
    address: IpAddr,
}

impl Socket {
    /// Binds the socket to `owner`'s session: the switch that ends it. Refused
    /// (RATE_LIMITED) when the user has as many sockets as they may.
    pub fn sign_in(&self, owner: Owner) -> Result<Arc<SessionEnd>> {
        let mut registry = self.sockets.lock();
        let count = registry.per_user.get(&owner.user_id).copied().unwrap_or(0);
        if over(count, self.sockets.limits.per_user) {
            return Err(Error::RateLimited(format!(
                "At most {} open sockets per user.",
                self.sockets.limits.per_user
            )));
        }
        let end = Arc::new(SessionEnd::new());
        let member = Member {
            user_id: owner.user_id,
            session_id: owner.session_id,
            role: owner.role,
            end: end.clone(),
        };
        if let Some(previous) = registry.members.insert(self.id, member) {
            decrement(&mut registry.per_user, &previous.user_id);
        }
        *registry.per_user.entry(owner.user_id).or_default() += 1;
        Ok(end)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let mut registry = self.sockets.lock();
        registry.open = registry.open.saturating_sub(1);
        decrement(&mut registry.per_address, &self.address);
        if let Some(member) = registry.members.remove(&self.id) {
            decrement(&mut registry.per_user, &member.user_id);
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    fn viewer(user_id: i32, session_id: i32) -> Owner {
        Owner {
            user_id,
            role: Role::User,
            session_id,
        }
    }

    #[test]
    fn caps_per_address_and_user_hold_and_closing_frees_a_place() {
        let sockets = Arc::new(Sockets::new(SocketLimits {
            per_user: 1,
            per_address: 2,
        }));
        let ip: IpAddr = "2001:db8::1".parse().expect("an address");
        let same_64: IpAddr = "2001:db8::ffff:2".parse().expect("an address");
        let first = sockets.open(ip).expect("a place");
        let second = sockets.open(same_64).expect("a place");
        assert!(sockets.open(ip).is_none(), "the /64 has its two");
        first.sign_in(viewer(1, 10)).expect("the user's one socket");
        assert!(second.sign_in(viewer(1, 11)).is_err(), "one per user");
        drop(first);
        assert!(second.sign_in(viewer(1, 11)).is_ok());
        assert!(sockets.open(ip).is_some());
    }

    #[test]
    fn ending_a_session_or_a_user_flips_their_sockets_only() {
        let sockets = Arc::new(Sockets::default());
        let ip: IpAddr = "127.0.0.1".parse().expect("an address");
        let (a, b, c) = (
            sockets.open(ip).expect("a place"),
            sockets.open(ip).expect("a place"),
            sockets.open(ip).expect("a place"),
        );
        let a = a.sign_in(viewer(1, 10)).expect("signed in");
        let b = b.sign_in(viewer(1, 11)).expect("signed in");
        let c = c.sign_in(viewer(2, 20)).expect("signed in");
        sockets.end_session(10);
        assert!(a.has_ended() && !b.has_ended() && !c.has_ended());
        sockets.end_user(1);
        assert!(b.has_ended() && !c.has_ended());
        sockets.end_unless(&HashMap::from([(20, Role::Admin)]));
        assert!(c.has_ended(), "the role changed");
    }
}
