//! The decoders of what clients send back to the server, global IDs and keyset cursors, on
//! generated input: they never panic, and whatever the server encodes decodes to what went
//! in. The fuzz targets in `fuzz/` check the same for far longer; these run on every
//! `cargo test`.

use api::{
    schema::node::{NodeType, decode, global_id},
    service::page::{Cursor, SortKey},
};
use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::DateTime;
use proptest::{prelude::*, sample::select};
use tests::cursors::ORDERINGS;

const TYPES: &[NodeType] = &[
    NodeType::User,
    NodeType::Todo,
    NodeType::Tag,
    NodeType::TodoHistoryEntry,
];

/// Text a client could send: anything, base64 of anything, or base64 of JSON that looks
/// like a cursor.
fn client_text() -> impl Strategy<Value = String> {
    let json_like = (
        select(ORDERINGS),
        prop_oneof![
            any::<i64>().prop_map(|n| format!(r#"{{"n":{n}}}"#)),
            any::<String>().prop_map(|s| format!(r#"{{"s":{}}}"#, serde_json::json!(s))),
            any::<String>().prop_map(|s| format!(r#"{{"t":{}}}"#, serde_json::json!(s))),
            Just(r#""z""#.to_owned()),
        ],
        any::<i64>(),
    )
        .prop_map(|(o, k, i)| format!(r#"{{"o":"{o}","k":{k},"i":{i}}}"#));
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        any::<String>().prop_map(|s| URL_SAFE_NO_PAD.encode(s)),
        json_like.prop_map(|j| URL_SAFE_NO_PAD.encode(j)),
        (
            select(vec!["User", "Todo", "Tag", "TodoHistoryEntry", "X"]),
            any::<String>()
        )
            .prop_map(|(t, n)| URL_SAFE_NO_PAD.encode(format!("{t}:{n}"))),
    ]
}

/// A cursor the server could write: a key of its ordering's type, a time RFC 3339 can
/// write (0000 to 9999), text without NUL (stored text has none).
fn server_cursor() -> impl Strategy<Value = Cursor> {
    let time = (-62_167_219_200i64..=253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(s, n)| SortKey::Time(DateTime::from_timestamp(s, n).unwrap()));
    let text = any::<String>().prop_map(|s| SortKey::Text(s.replace('\0', "")));
    (
        select(ORDERINGS),
        time,
        text,
        any::<i64>(),
        any::<bool>(),
        any::<i32>(),
    )
        .prop_map(|(ordering, time, text, n, null, id)| {
            let key = match ordering {
                "todo:due_date" if null => SortKey::Null,
                "todo:created_at" | "todo:updated_at" | "todo:due_date" => time,
                "todo:priority" | "history:id" => SortKey::Int(n),
                _ => text,
            };
            Cursor {
                ordering: ordering.to_owned(),
                key,
                id,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn global_ids_decode_without_panic(text in client_text()) {
        let _ = decode(&ID(text), "id");
    }

    #[test]
    fn global_ids_roundtrip(kind in select(TYPES), id in any::<i32>()) {
        prop_assert_eq!(decode(&global_id(kind, id), "id").ok(), Some((kind, id)));
    }

    #[test]
    fn cursors_decode_without_panic(text in client_text()) {
        for ordering in ORDERINGS {
            let _ = Cursor::decode(&text, ordering, "after");
        }
    }

    #[test]
    fn cursors_roundtrip(cursor in server_cursor()) {
        let decoded = Cursor::decode(&cursor.encode(), &cursor.ordering, "after").ok();
        prop_assert_eq!(decoded, Some(cursor));
    }

    #[test]
    fn cursors_of_another_ordering_are_refused(cursor in server_cursor(), other in select(ORDERINGS)) {
        prop_assume!(other != cursor.ordering);
        prop_assert!(Cursor::decode(&cursor.encode(), other, "after").is_err());
    }
}
