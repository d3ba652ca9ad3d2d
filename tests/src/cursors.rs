//! What the tests know of the server's keyset cursors: the names of the orderings a cursor
//! carries (its `"o"`), for the properties that forge and decode cursors
//! (`hostile::decoders` and `hostile::generated`), taken from the server's own list.

/// Every ordering name cursors carry: a cursor of one is refused by a list of another.
pub const ORDERINGS: &[&str] = &api::service::page::Ordering::NAMES;
