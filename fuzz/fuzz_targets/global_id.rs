//! The global ID decoder (`api::schema::node::decode`) on arbitrary input: it never panics,
//! and it decodes whatever the encoder writes back to what went in.

#![no_main]

use api::schema::node::{NodeType, decode, global_id};
use async_graphql::ID;
use libfuzzer_sys::fuzz_target;

const TYPES: [NodeType; 4] = [
    NodeType::User,
    NodeType::Todo,
    NodeType::Tag,
    NodeType::TodoHistoryEntry,
];

fuzz_target!(|data: &[u8]| {
    // Whatever a client sends: an error at worst, never a panic.
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = decode(&ID(text), "id");

    // Every ID the server writes decodes to its type and id.
    if let [kind, a, b, c, d, ..] = *data {
        let node_type = TYPES[usize::from(kind) % TYPES.len()];
        let id = i32::from_le_bytes([a, b, c, d]);
        let decoded = decode(&global_id(node_type, id), "id").ok();
        assert_eq!(decoded, Some((node_type, id)));
    }
});
