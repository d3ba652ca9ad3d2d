//! The keyset cursor decoder (`api::service::page::Cursor::decode`) on arbitrary input: it
//! never panics, and it decodes whatever the encoder writes back to the same cursor.

#![no_main]

use api::service::page::{Cursor, Ordering, SortKey};
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

/// Seconds from 0000-01-01 to 9999-12-31T23:59:59Z: the instants RFC 3339 (and so the API's
/// DateTime input) can write.
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

fuzz_target!(|data: &[u8]| {
    // Whatever a client sends, for any ordering: an error at worst, never a panic.
    let text = String::from_utf8_lossy(data);
    for ordering in Ordering::NAMES {
        let _ = Cursor::decode(&text, ordering, "after");
    }

    // Every cursor the server writes decodes to itself.
    let [pick, rest @ ..] = data else { return };
    let ordering = Ordering::ALL[usize::from(*pick) % Ordering::ALL.len()];
    let number = |at: usize| {
        let mut bytes = [0u8; 8];
        for (i, byte) in rest.iter().skip(at).take(8).enumerate() {
            bytes[i] = *byte;
        }
        i64::from_le_bytes(bytes)
    };
    let id = number(0) as i32;
    let key = match ordering {
        Ordering::TodoDueDate if number(8) % 2 == 0 => SortKey::Null,
        Ordering::TodoCreatedAt | Ordering::TodoUpdatedAt | Ordering::TodoDueDate => {
            let seconds = FIRST_SECOND + number(8).rem_euclid(LAST_SECOND - FIRST_SECOND + 1);
            let nanos = (number(16) as u32) % 1_000_000_000;
            let Some(time) = DateTime::from_timestamp(seconds, nanos) else {
                return;
            };
            SortKey::Time(time)
        }
        Ordering::TodoPriority | Ordering::HistoryId => SortKey::Int(number(8)),
        // Stored text never holds NUL (validate::no_nul), so no cursor carries one.
        Ordering::TodoTitle | Ordering::TagName | Ordering::UserUsername => {
            SortKey::Text(String::from_utf8_lossy(rest).replace('\0', ""))
        }
    };
    let cursor = Cursor {
        ordering: ordering.name().to_owned(),
        key,
        id,
    };
    let decoded = Cursor::decode(&cursor.encode(), ordering.name(), "after").ok();
    assert_eq!(decoded, Some(cursor));
});
