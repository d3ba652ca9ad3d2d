//! Keyset pagination shared by every connection: page arguments, opaque cursors, and the
//! SQL conditions that continue an ordering after a cursor. Cursors hold the sort key and
//! the id of a row, never an offset, so page 1,000 costs what page 1 costs. Cursors and
//! orderings are in `page/cursor.rs`, the SQL in `page/keyset.rs`.

mod cursor;
mod keyset;

pub use self::{
    cursor::{Cursor, Ordering, SortKey},
    keyset::{QuerySort, Sort, keyset, pages_by_parent, pages_statement},
};

use crate::error::{Error, Result};

/// Page sizes, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Size when neither `first` nor `last` is given.
    pub default: u64,
    /// Largest `first` or `last` accepted.
    pub max: u64,
}

/// The Relay arguments of a connection field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// Forward page size.
    pub first: Option<i32>,
    /// Continue after this cursor.
    pub after: Option<String>,
    /// Backward page size.
    pub last: Option<i32>,
    /// Continue before this cursor.
    pub before: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    /// How many rows the page holds.
    pub size: u64,
    /// Paging backwards (`last`/`before`): the query runs in reverse order.
    pub backward: bool,
    /// Where to continue from.
    pub cursor: Option<Cursor>,
}

impl Window {
    /// Checks `args` against `limits` and decodes the cursor for `ordering`.
    pub fn new(args: &PageArgs, limits: PageLimits, ordering: &str) -> Result<Self> {
        let count = |value: Option<i32>, field: &'static str| -> Result<Option<u64>> {
            match value {
                None => Ok(None),
                Some(n) if n < 0 => Err(Error::invalid(
                    field,
                    format!("{field} must not be negative."),
                )),
                Some(n) if n as u64 > limits.max => Err(Error::invalid(
                    field,
                    format!("{field} must be at most {}.", limits.max),
                )),
                Some(n) => Ok(Some(n as u64)),
            }
        };
        let first = count(args.first, "first")?;
        let last = count(args.last, "last")?;
        let backward = last.is_some() || args.before.is_some();
        if backward && (first.is_some() || args.after.is_some()) {
            return Err(Error::invalid(
                "last",
                "Page forwards with first/after or backwards with last/before, not both.",
            ));
        }
        let (size, cursor, field) = if backward {
            (last, args.before.as_deref(), "before")
        } else {
            (first, args.after.as_deref(), "after")
        };
        let cursor = cursor
            .map(|c| Cursor::decode(c, ordering, field))
            .transpose()?;
        Ok(Self {
            size: size.unwrap_or(limits.default),
            backward,
            cursor,
        })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> u64 {
        self.size + 1
    }

    /// Turns the fetched rows (in query order) into the page, in display order.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let more = rows.len() as u64 > self.size;
        rows.truncate(self.size as usize);
        if self.backward {
            rows.reverse();
        }
        // Whether rows exist on the cursor's other side is not known without another
        // statement; Relay allows answering with whether a cursor was given.
        let (has_next, has_previous) = if self.backward {
            (self.cursor.is_some(), more)
        } else {
            (more, self.cursor.is_some())
        };
        Page {
            items: rows,
            has_next,
            has_previous,
        }
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in display order.
    pub items: Vec<T>,
    /// Rows follow the last one.
    pub has_next: bool,
    /// Rows precede the first one.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// A page with nothing on it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
        }
    }
}
