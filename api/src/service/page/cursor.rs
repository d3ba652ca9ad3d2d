//! Cursors: the position of a row in an ordering, opaque to clients, and the orderings
//! that cursors name.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The value a row is sorted by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    /// A timestamp.
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    /// A string.
    #[serde(rename = "s")]
    Text(String),
    /// A number.
    #[serde(rename = "n")]
    Int(i64),
    /// SQL NULL (sorted last).
    #[serde(rename = "z")]
    Null,
}

impl SortKey {
    /// The key as an SQL value.
    pub(super) fn value(&self) -> SimpleExpr {
        match self {
            Self::Time(t) => Expr::val(*t),
            Self::Text(s) => Expr::val(s.clone()),
            Self::Int(n) => Expr::val(*n),
            Self::Null => Expr::cust("NULL"),
        }
    }
}

/// A position in an ordering: the row's sort key and id, and which ordering it belongs to,
/// so that a cursor from another list or ordering is rejected instead of misread.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The ordering, e.g. `todo:created_at`.
    #[serde(rename = "o")]
    pub ordering: String,
    /// The row's sort key.
    #[serde(rename = "k")]
    pub key: SortKey,
    /// The row's id, the tiebreak.
    #[serde(rename = "i")]
    pub id: i32,
}

impl Cursor {
    /// The opaque form clients see.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The cursor that `text` (from a client, so possibly forged) encodes, if it is one of
    /// `ordering`'s with a key of the type that ordering sorts by; BAD_USER_INPUT on
    /// `field` otherwise. Never panics, whatever the text.
    pub fn decode(text: &str, ordering: &str, field: &'static str) -> Result<Self> {
        let invalid = || Error::invalid(field, format!("{text:?} is not a cursor of this list."));
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        // A key of another type would reach the SQL as a comparison PostgreSQL refuses
        // (text > bigint), and text with NUL as a parameter it cannot take.
        if cursor.ordering == ordering && cursor.key.fits(ordering) {
            Ok(cursor)
        } else {
            Err(invalid())
        }
    }
}

impl SortKey {
    /// Whether this key has the type of `ordering`'s sort key. Every ordering a list uses
    /// is an [`Ordering`]; a cursor of any other is refused, which its paging tests show.
    fn fits(&self, ordering: &str) -> bool {
        Ordering::ALL
            .iter()
            .any(|known| known.name() == ordering && known.takes(self))
    }
}

/// The orderings lists sort by. A cursor carries its ordering's name, so that a cursor of
/// one list or ordering is refused by another, and a key of the type that ordering sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ordering {
    /// Todos by creation time.
    TodoCreatedAt,
    /// Todos by last change.
    TodoUpdatedAt,
    /// Todos by due date, those without one last.
    TodoDueDate,
    /// Todos by priority.
    TodoPriority,
    /// Todos by title.
    TodoTitle,
    /// Tags by name.
    TagName,
    /// Users by username.
    UserUsername,
    /// A todo's history entries, by id.
    HistoryId,
}

impl Ordering {
    /// Every ordering: what the decoders' fuzz targets and tests forge cursors for.
    pub const ALL: [Self; 8] = [
        Self::TodoCreatedAt,
        Self::TodoUpdatedAt,
        Self::TodoDueDate,
        Self::TodoPriority,
        Self::TodoTitle,
        Self::TagName,
        Self::UserUsername,
        Self::HistoryId,
    ];

    /// The name of every ordering, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 8] = {
        let mut names = [""; 8];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The name its cursors carry, e.g. `todo:created_at`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TodoCreatedAt => "todo:created_at",
            Self::TodoUpdatedAt => "todo:updated_at",
            Self::TodoDueDate => "todo:due_date",
            Self::TodoPriority => "todo:priority",
            Self::TodoTitle => "todo:title",
            Self::TagName => "tag:name",
            Self::UserUsername => "user:username",
            Self::HistoryId => "history:id",
        }
    }

    /// Whether `key` has the type this ordering sorts by.
    pub fn takes(self, key: &SortKey) -> bool {
        match key {
            SortKey::Time(_) => matches!(
                self,
                Self::TodoCreatedAt | Self::TodoUpdatedAt | Self::TodoDueDate
            ),
            SortKey::Null => self == Self::TodoDueDate,
            SortKey::Int(_) => matches!(self, Self::TodoPriority | Self::HistoryId),
            SortKey::Text(text) => {
                !text.contains('\0')
                    && matches!(self, Self::TodoTitle | Self::TagName | Self::UserUsername)
            }
        }
    }
}
