//! What the tests know of the server's keyset cursors: the names of the orderings a cursor
//! carries (its `"o"`), for the properties that forge and decode cursors
//! (`hostile::decoders` and `hostile::generated`). The fuzz targets keep a list of their own.

/// Every ordering name cursors carry: a cursor of one is refused by a list of another.
pub const ORDERINGS: &[&str] = &[
    "todo:created_at",
    "todo:updated_at",
    "todo:due_date",
    "todo:priority",
    "todo:title",
    "tag:name",
    "user:username",
    "history:id",
];
