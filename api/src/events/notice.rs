//! What one committed change tells subscribers, and its compact text form for NOTIFY.

/// What happened to a todo, as `TodoEventKind` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "TodoEventKind")]
pub enum EventKind {
    /// The todo was created.
    Created,
    /// Its fields, completion or tags changed.
    Updated,
    /// It was soft-deleted.
    Deleted,
    /// It was restored from a soft delete.
    Restored,
    /// It was transferred to the viewer.
    TransferredIn,
    /// The viewer transferred it to someone else.
    TransferredOut,
}

impl EventKind {
    fn letter(self) -> char {
        match self {
            Self::Created => 'C',
            Self::Updated => 'U',
            Self::Deleted => 'D',
            Self::Restored => 'R',
            Self::TransferredIn => 'I',
            Self::TransferredOut => 'O',
        }
    }

    fn from_letter(letter: char) -> Option<Self> {
        Some(match letter {
            'C' => Self::Created,
            'U' => Self::Updated,
            'D' => Self::Deleted,
            'R' => Self::Restored,
            'I' => Self::TransferredIn,
            'O' => Self::TransferredOut,
            _ => return None,
        })
    }
}

/// One thing subscribers must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A change to a todo, for the subscriptions of `user_id`.
    Todo {
        /// What happened.
        kind: EventKind,
        /// Which todo.
        todo_id: i32,
        /// Whose subscriptions hear of it.
        user_id: i32,
        /// For TRANSFERRED_OUT: the transfer's history entry, which keeps the todo as it
        /// was handed over (`todo_handovers`).
        handover: Option<i32>,
    },
    /// A session ended (logged out): its sockets close and its subscriptions stop.
    SessionEnded {
        /// Which session.
        session_id: i32,
    },
    /// A user's role or standing changed (`api admin grant|revoke`, deactivation): every
    /// socket of theirs closes, so that the client reconnects as who they now are.
    AccountChanged {
        /// Whose.
        user_id: i32,
    },
}

impl Notice {
    /// A change to a todo of `user_id`'s.
    pub fn todo(kind: EventKind, todo_id: i32, user_id: i32) -> Self {
        Self::Todo {
            kind,
            todo_id,
            user_id,
            handover: None,
        }
    }

    /// `user_id` gave `todo_id` away; history entry `handover` keeps it as it was given.
    pub fn handed_over(todo_id: i32, user_id: i32, handover: i32) -> Self {
        Self::Todo {
            kind: EventKind::TransferredOut,
            todo_id,
            user_id,
            handover: Some(handover),
        }
    }

    fn encode(self) -> String {
        match self {
            Self::Todo {
                kind,
                todo_id,
                user_id,
                handover: None,
            } => format!("{}{todo_id}:{user_id}", kind.letter()),
            Self::Todo {
                kind,
                todo_id,
                user_id,
                handover: Some(entry),
            } => format!("{}{todo_id}:{user_id}:{entry}", kind.letter()),
            Self::SessionEnded { session_id } => format!("S{session_id}"),
            Self::AccountChanged { user_id } => format!("A{user_id}"),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let mut chars = text.chars();
        let tag = chars.next()?;
        let rest = chars.as_str();
        if tag == 'S' {
            return Some(Self::SessionEnded {
                session_id: rest.parse().ok()?,
            });
        }
        if tag == 'A' {
            return Some(Self::AccountChanged {
                user_id: rest.parse().ok()?,
            });
        }
        let mut ids = rest.split(':');
        let todo_id = ids.next()?.parse().ok()?;
        let user_id = ids.next()?.parse().ok()?;
        let handover = ids.next().map(str::parse).transpose().ok()?;
        Some(Self::Todo {
            kind: EventKind::from_letter(tag)?,
            todo_id,
            user_id,
            handover,
        })
    }
}

/// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; stay well below.
const MAX_PAYLOAD: usize = 7_000;

/// `notices` packed into as few payloads as fit, in order (one per line).
pub fn pack(notices: &[Notice]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = String::new();
    for notice in notices {
        let line = notice.encode();
        if !current.is_empty() && current.len() + 1 + line.len() > MAX_PAYLOAD {
            payloads.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        payloads.push(current);
    }
    payloads
}

/// The notices of one payload; lines that do not parse (another version's?) are skipped.
pub fn unpack(payload: &str) -> impl Iterator<Item = Notice> + '_ {
    payload.lines().filter_map(|line| {
        let notice = Notice::decode(line);
        if notice.is_none() {
            tracing::warn!(line, "unreadable event notice skipped");
        }
        notice
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_in_order_within_the_payload_limit() {
        let notices: Vec<Notice> = (0..2_000)
            .map(|n| Notice::todo(EventKind::Created, 1_000_000 + n, 42))
            .chain([
                Notice::handed_over(5, 42, 77),
                Notice::SessionEnded { session_id: 7 },
                Notice::AccountChanged { user_id: 42 },
            ])
            .collect();
        let payloads = pack(&notices);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() < 8_000));
        let back: Vec<Notice> = payloads.iter().flat_map(|p| unpack(p)).collect();
        assert_eq!(back, notices);
    }
}
