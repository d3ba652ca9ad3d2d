//! `Subscription.todoEvents`: the viewer's todo changes, as they commit.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{Context, Object, Subscription, futures_util::Stream};
use sea_orm::DatabaseConnection;

use super::{
    context::{ClientIp, ContextExt},
    todo::Todo,
};
use crate::{
    error::{Error, Result},
    events::{Closed, Delivery, EventKind, Receiver, SessionEnd},
    execution::{limits::AdmittedCost, pace::Pace},
    service::{self, viewer::Viewer},
};

/// The subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

/// One change to a todo of the viewer's, delivered after its transaction commits; changes
/// that roll back are never sent.
pub struct TodoEvent {
    kind: EventKind,
    todo: Todo,
}

/// One change to a todo of the viewer's, delivered after its transaction commits; changes
/// that roll back are never sent.
#[Object]
impl TodoEvent {
    /// What happened.
    async fn kind(&self) -> EventKind {
        self.kind
    }

    /// The todo as it is after the change. For TRANSFERRED_OUT it is the todo as it was
    /// handed over; later changes to it are no longer sent to the previous owner.
    async fn todo(&self) -> &Todo {
        &self.todo
    }
}

/// How many subscriptions one WebSocket connection has open, against its limit. Put in the
/// connection's data when it is initialised.
#[derive(Debug)]
pub struct ConnectionSubscriptions {
    open: Arc<AtomicUsize>,
    limit: usize,
}

impl ConnectionSubscriptions {
    /// A connection allowed `limit` subscriptions at once.
    pub fn new(limit: usize) -> Self {
        Self {
            open: Arc::new(AtomicUsize::new(0)),
            limit,
        }
    }

    fn acquire(&self) -> Result<Slot> {
        let taken = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.limit).then_some(open + 1)
            });
        match taken {
            Ok(_) => Ok(Slot(self.open.clone())),
            Err(_) => Err(Error::RateLimited(format!(
                "At most {} subscriptions per connection.",
                self.limit
            ))),
        }
    }
}

/// One place of a connection's subscriptions; given back when the subscription ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a running subscription holds.
struct Feed {
    receiver: Receiver,
    db: DatabaseConnection,
    viewer: Viewer,
    /// The socket's session switch: flipped, the subscription ends.
    session: Option<Arc<SessionEnd>>,
    /// The socket's turns, clock and rate limit for each event, and what an event costs.
    pace: Option<(Arc<Pace>, u64)>,
    _slot: Option<Slot>,
}

/// Changes to the viewer's todos, made through any server instance sharing the database.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Changes to the viewer's todos, made through any server instance sharing the database
    /// (PostgreSQL LISTEN/NOTIFY); with the embedded SQLite default, changes made by this
    /// instance.
    async fn todo_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TodoEvent>> + use<>> {
        let viewer = ctx.require_viewer()?.clone();
        let session = ctx.data_opt::<Arc<SessionEnd>>().cloned();
        if session.as_ref().is_some_and(|session| session.has_ended()) {
            return Err(Error::Unauthenticated("The session has ended; sign in again.").into());
        }
        let slot = ctx
            .data_opt::<ConnectionSubscriptions>()
            .map(ConnectionSubscriptions::acquire)
            .transpose()?;
        let events = ctx.events()?;
        let address = ctx.data_opt::<ClientIp>().map(|ip| ip.0);
        let receiver = events
            .hub()
            .subscribe(viewer.user_id, viewer.session_id, address)?;
        let pace = ctx.data_opt::<Arc<Pace>>().map(|pace| {
            let cost = ctx.data_opt::<AdmittedCost>().map_or(1, |cost| cost.0);
            // Waiting for events holds no turn, no place in flight and no clock.
            pace.idle();
            (pace.clone(), cost)
        });
        let feed = Feed {
            receiver,
            db: ctx.db()?.clone(),
            viewer,
            session,
            pace,
            _slot: slot,
        };
        Ok(async_graphql::futures_util::stream::unfold(
            Some(feed),
            |feed| async move {
                let mut feed = feed?;
                match next_event(&mut feed).await {
                    Ok(event) => Some((Ok(event), Some(feed))),
                    // Say why, then end the stream.
                    Err(err) => Some((Err(err.into()), None)),
                }
            },
        ))
    }
}

/// The next event `feed` may see, or the error that ends it.
async fn next_event(feed: &mut Feed) -> Result<TodoEvent> {
    loop {
        let expiry = (feed.viewer.session_expires_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default();
        let session = feed.session.clone();
        let ended = async {
            match &session {
                Some(session) => session.ended().await,
                None => std::future::pending().await,
            }
        };
        let delivery = tokio::select! {
            delivery = feed.receiver.next() => delivery,
            () = tokio::time::sleep(expiry) => {
                return Err(Error::Unauthenticated("The session has expired; sign in again."));
            }
            () = ended => {
                return Err(Error::Unauthenticated("The session has ended; sign in again."));
            }
        };
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(Closed::FellBehind) => {
                return Err(Error::RateLimited(
                    "Events arrived faster than this subscription read them; subscribe again \
                     and refetch."
                        .into(),
                ));
            }
            Err(Closed::SessionEnded) => {
                return Err(Error::Unauthenticated(
                    "The session has ended; sign in again.",
                ));
            }
        };
        if let Some((pace, cost)) = &feed.pace {
            // Charged before it is read, like an operation before it runs.
            if let Err(wait) = pace.charge(*cost).await {
                crate::metrics::rate_limited("event");
                return Err(Error::RateLimited(format!(
                    "This subscription's events have used up the session's rate limit (each \
                     costs {cost}); subscribe again in {} s and refetch.",
                    wait.secs()
                )));
            }
            // The clock runs from here: the socket's executor stops the subscription if the
            // event is not resolved within the request timeout.
            pace.begin().await;
        }
        if let Some(todo) = load_todo(feed, &delivery).await? {
            return Ok(TodoEvent {
                kind: delivery.kind,
                todo,
            });
        }
        if let Some((pace, _)) = &feed.pace {
            pace.finish();
        }
        // A todo that is gone (no hard deletes today) or no longer visible has nothing to
        // show.
    }
}

/// The todo of `delivery` as `feed`'s viewer may see it.
///
/// Loaded through the visibility rules, as any read: a change made while the todo was the
/// viewer's but read after it was handed away is not shown (the viewer gets
/// TRANSFERRED_OUT instead). That one event is the exception: the transfer's own notice,
/// addressed to the previous owner, is the permission to see the todo as it was handed
/// over, kept with the transfer, so that the new owner's later changes stay unseen.
async fn load_todo(feed: &Feed, delivery: &Delivery) -> Result<Option<Todo>> {
    if delivery.kind == EventKind::TransferredOut
        && let Some(entry) = delivery.handover
    {
        let Some((todo, tag_ids)) =
            service::todo::transfer::handed_over(&feed.db, &feed.viewer, entry).await?
        else {
            return Ok(None);
        };
        // The tags it had then, those of them that still exist.
        let tags = service::tag::by_ids(&feed.db, &tag_ids).await?;
        return Ok(Some(Todo::handed_over(
            todo,
            tags.into_values().collect(),
            entry,
        )));
    }
    // (A TRANSFERRED_OUT without its entry, from an instance of an older version, reads as
    // a todo no longer visible and is skipped.)
    let todo = service::todo::list::by_ids(&feed.db, Some(&feed.viewer), &[delivery.todo_id])
        .await?
        .remove(&delivery.todo_id);
    Ok(todo.map(Todo::from))
}
