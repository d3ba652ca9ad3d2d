//! This instance's subscribers and the fan-out of notices to them. Memory stays bounded:
//! every subscriber has a queue of fixed size, and one that falls behind is cut off (its
//! stream ends with an error) rather than buffered without limit.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use tokio::sync::mpsc;

use super::{
    notice::{EventKind, Notice},
    sockets::{SocketLimits, Sockets},
};
use crate::error::{Error, Result};

/// The hub's limits (from the configuration).
#[derive(Debug, Clone, Copy, Default)]
pub struct HubLimits {
    /// Events one subscriber may have waiting before it is cut off.
    pub queue: usize,
    /// Open subscriptions on this instance.
    pub max_subscriptions: usize,
    /// Open subscriptions of one user on this instance (0: no cap).
    pub max_subscriptions_per_user: usize,
    /// Open subscriptions of one client address on this instance (0: no cap).
    pub max_subscriptions_per_address: usize,
    /// Open sockets per user and per address on this instance.
    pub sockets: SocketLimits,
}

/// Why a subscription's stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// It did not keep up with its events.
    FellBehind,
    /// Its session was logged out.
    SessionEnded,
}

/// One event for one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// What happened.
    pub kind: EventKind,
    /// To which todo.
    pub todo_id: i32,
    /// For TRANSFERRED_OUT: the history entry that keeps the todo as it was handed over.
    pub handover: Option<i32>,
}

struct Entry {
    id: u64,
    session_id: i32,
    address: Option<IpAddr>,
    queue: mpsc::Sender<Delivery>,
    closed: Arc<OnceLock<Closed>>,
}

#[derive(Default)]
struct Subscribers {
    next_id: u64,
    count: usize,
    by_user: HashMap<i32, Vec<Entry>>,
    by_address: HashMap<IpAddr, usize>,
}

impl Subscribers {
    /// Forgets a subscription's place in the counts (the caller takes it out of
    /// `by_user`).
    fn release(&mut self, address: Option<IpAddr>) {
        self.count -= 1;
        if let Some(address) = address
            && let Some(count) = self.by_address.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                self.by_address.remove(&address);
            }
        }
    }
}

/// The subscribers of this instance, by user.
pub struct Hub {
    subscribers: Mutex<Subscribers>,
    sockets: Arc<Sockets>,
    limits: HubLimits,
}

impl Hub {
    /// An empty hub.
    pub fn new(limits: HubLimits) -> Self {
        Self {
            subscribers: Mutex::new(Subscribers::default()),
            sockets: Arc::new(Sockets::new(limits.sockets)),
            limits,
        }
    }

    /// This instance's open sockets.
    pub fn sockets(&self) -> &Arc<Sockets> {
        &self.sockets
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        // The map stays consistent even if a holder panicked: every change is one call.
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Open subscriptions on this instance.
    pub fn len(&self) -> usize {
        self.lock().count
    }

    /// Whether no subscription is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sessions that hold subscriptions here, each once.
    pub fn session_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self
            .lock()
            .by_user
            .values()
            .flatten()
            .map(|entry| entry.session_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Starts receiving the events of `user_id` for a subscription of `session_id`, made
    /// from `address`.
    pub fn subscribe(
        self: &Arc<Self>,
        user_id: i32,
        session_id: i32,
        address: Option<IpAddr>,
    ) -> Result<Receiver> {
        let address = address.map(crate::rate_limit::network);
        let mut subscribers = self.lock();
        if subscribers.count >= self.limits.max_subscriptions {
            return Err(Error::RateLimited(
                "This server has as many open subscriptions as it allows; try again later.".into(),
            ));
        }
        let capped = |count: usize, cap: usize| cap > 0 && count >= cap;
        let user_count = subscribers.by_user.get(&user_id).map_or(0, Vec::len);
        if capped(user_count, self.limits.max_subscriptions_per_user) {
            return Err(Error::RateLimited(format!(
                "At most {} open subscriptions per user.",
                self.limits.max_subscriptions_per_user
            )));
        }
        if let Some(address) = address {
            let address_count = subscribers.by_address.get(&address).copied().unwrap_or(0);
            if capped(address_count, self.limits.max_subscriptions_per_address) {
                return Err(Error::RateLimited(format!(
                    "At most {} open subscriptions per client address.",
                    self.limits.max_subscriptions_per_address
                )));
            }
            *subscribers.by_address.entry(address).or_default() += 1;
        }
        let (queue, events) = mpsc::channel(self.limits.queue.max(1));
        let closed = Arc::new(OnceLock::new());
        subscribers.next_id += 1;
        subscribers.count += 1;
        let id = subscribers.next_id;
        subscribers.by_user.entry(user_id).or_default().push(Entry {
            id,
            session_id,
            address,
            queue,
            closed: closed.clone(),
        });
        Ok(Receiver {
            events,
            closed,
            hub: self.clone(),
            user_id,
            id,
        })
    }

    /// Hands `notice` to the subscribers and sockets it concerns, never waiting for any
    /// of them.
    pub fn dispatch(&self, notice: &Notice) {
        // Sockets first: a subscribe that slips in between sees its socket already ended.
        match *notice {
            Notice::SessionEnded { session_id } => self.sockets.end_session(session_id),
            Notice::AccountChanged { user_id } => self.sockets.end_user(user_id),
            Notice::Todo { .. } => {}
        }
        let mut subscribers = self.lock();
        let mut removed = Vec::new();
        match *notice {
            Notice::Todo {
                kind,
                todo_id,
                user_id,
                handover,
            } => {
                if let Some(entries) = subscribers.by_user.get_mut(&user_id) {
                    entries.retain(|entry| {
                        let delivered = entry.queue.try_send(Delivery {
                            kind,
                            todo_id,
                            handover,
                        });
                        match delivered {
                            Ok(()) => true,
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                let _ = entry.closed.set(Closed::FellBehind);
                                removed.push(entry.address);
                                false
                            }
                            // The receiver is gone and will deregister itself.
                            Err(mpsc::error::TrySendError::Closed(_)) => true,
                        }
                    });
                }
            }
            Notice::SessionEnded { session_id } => {
                for entries in subscribers.by_user.values_mut() {
                    end_where(entries, &mut removed, |entry| {
                        entry.session_id == session_id
                    });
                }
            }
            Notice::AccountChanged { user_id } => {
                if let Some(entries) = subscribers.by_user.get_mut(&user_id) {
                    end_where(entries, &mut removed, |_| true);
                }
            }
        }
        for address in removed {
            subscribers.release(address);
        }
        subscribers.by_user.retain(|_, entries| !entries.is_empty());
    }

    fn remove(&self, user_id: i32, id: u64) {
        let mut subscribers = self.lock();
        let Some(entries) = subscribers.by_user.get_mut(&user_id) else {
            return;
        };
        let Some(at) = entries.iter().position(|entry| entry.id == id) else {
            return;
        };
        let entry = entries.swap_remove(at);
        if entries.is_empty() {
            subscribers.by_user.remove(&user_id);
        }
        subscribers.release(entry.address);
    }
}

/// Ends the subscriptions of `entries` that `ends` picks, because their session ended;
/// notes them in `removed`.
fn end_where(
    entries: &mut Vec<Entry>,
    removed: &mut Vec<Option<IpAddr>>,
    ends: impl Fn(&Entry) -> bool,
) {
    entries.retain(|entry| {
        let ended = ends(entry);
        if ended {
            let _ = entry.closed.set(Closed::SessionEnded);
            removed.push(entry.address);
        }
        !ended
    });
}

/// One subscription's end of the hub; deregisters itself when dropped.
pub struct Receiver {
    events: mpsc::Receiver<Delivery>,
    closed: Arc<OnceLock<Closed>>,
    hub: Arc<Hub>,
    user_id: i32,
    id: u64,
}

impl Receiver {
    /// The next event, in the order the changes committed; or why there will be no more.
    /// Events queued before a cut-off are still delivered first.
    pub async fn next(&mut self) -> std::result::Result<Delivery, Closed> {
        match self.events.recv().await {
            Some(delivery) => Ok(delivery),
            // The hub only drops a queue after saying why.
            None => Err(self.closed.get().copied().unwrap_or(Closed::SessionEnded)),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.hub.remove(self.user_id, self.id);
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    fn hub(queue: usize, max_subscriptions: usize) -> Arc<Hub> {
        Arc::new(Hub::new(HubLimits {
            queue,
            max_subscriptions,
            max_subscriptions_per_user: 0,
            max_subscriptions_per_address: 0,
            sockets: SocketLimits::default(),
        }))
    }

    fn event(todo_id: i32, user_id: i32) -> Notice {
        Notice::todo(EventKind::Updated, todo_id, user_id)
    }

    #[tokio::test]
    async fn delivers_to_the_owner_only_in_order() {
        let hub = hub(8, 10);
        let mut ann = hub.subscribe(1, 10, None).expect("subscribe");
        let mut bob = hub.subscribe(2, 20, None).expect("subscribe");
        hub.dispatch(&event(5, 1));
        hub.dispatch(&event(6, 1));
        hub.dispatch(&event(7, 2));
        assert_eq!(ann.next().await.map(|d| d.todo_id), Ok(5));
        assert_eq!(ann.next().await.map(|d| d.todo_id), Ok(6));
        assert_eq!(bob.next().await.map(|d| d.todo_id), Ok(7));
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_cut_off_after_its_queue() {
        let hub = hub(2, 10);
        let mut slow = hub.subscribe(1, 10, None).expect("subscribe");
        for id in 0..5 {
            hub.dispatch(&event(id, 1));
        }
        assert_eq!(hub.len(), 0, "cut off and deregistered");
        assert_eq!(slow.next().await.map(|d| d.todo_id), Ok(0));
        assert_eq!(slow.next().await.map(|d| d.todo_id), Ok(1));
        assert_eq!(slow.next().await, Err(Closed::FellBehind));
    }

    #[tokio::test]
    async fn logging_out_ends_that_sessions_subscriptions_only() {
        let hub = hub(8, 10);
        let mut phone = hub.subscribe(1, 10, None).expect("subscribe");
        let mut laptop = hub.subscribe(1, 11, None).expect("subscribe");
        hub.dispatch(&Notice::SessionEnded { session_id: 10 });
        hub.dispatch(&event(3, 1));
        assert_eq!(phone.next().await, Err(Closed::SessionEnded));
        assert_eq!(laptop.next().await.map(|d| d.todo_id), Ok(3));
    }

    #[test]
    fn the_caps_per_user_and_per_address_hold() {
        let hub = Arc::new(Hub::new(HubLimits {
            queue: 8,
            max_subscriptions: 10,
            max_subscriptions_per_user: 2,
            max_subscriptions_per_address: 3,
            sockets: SocketLimits::default(),
        }));
        let home: IpAddr = "2001:db8:1:2::1".parse().expect("an address");
        let same_64: IpAddr = "2001:db8:1:2::99".parse().expect("an address");
        let first = hub.subscribe(1, 10, Some(home)).expect("subscribe");
        let _second = hub.subscribe(1, 11, Some(home)).expect("subscribe");
        assert!(hub.subscribe(1, 12, None).is_err(), "two per user");
        let _third = hub.subscribe(2, 20, Some(same_64)).expect("subscribe");
        assert!(hub.subscribe(3, 30, Some(home)).is_err(), "three per /64");
        assert!(hub.subscribe(3, 30, None).is_ok());
        drop(first);
        assert!(hub.subscribe(3, 30, Some(home)).is_ok());
        hub.dispatch(&Notice::AccountChanged { user_id: 1 });
        assert!(
            hub.subscribe(4, 40, Some(home)).is_ok(),
            "ended ones give back their place"
        );
    }

    #[test]
    fn the_server_limit_holds_and_dropping_frees_a_place() {
        let hub = hub(8, 2);
        let first = hub.subscribe(1, 10, None).expect("subscribe");
        let _second = hub.subscribe(1, 10, None).expect("subscribe");
        assert!(hub.subscribe(2, 20, None).is_err());
        drop(first);
        assert!(hub.subscribe(2, 20, None).is_ok());
    }
}
