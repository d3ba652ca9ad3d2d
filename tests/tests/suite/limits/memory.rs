//! The memory property (issue 15): for every hostile request under the body limit, the
//! optimized server's peak resident memory (VmHWM of its process, reset before the request;
//! the binary allocates with mimalloc, which keeps what it took) stays within
//! [`BOUND_MIB`] of its idle memory. The requests and how they are run:
//! `hostile::release::cases`.

use crate::hostile::release::cases::{self, Case};

/// How far above idle one request may take the server's resident memory. An honest request
/// of the largest kind (a page of 100 todos with 10,000-character descriptions, a 1 MiB
/// body) needs a few MiB; the hostile ones took gigabytes before the limits of issue 15.
const BOUND_MIB: f64 = 64.0;

async fn within_bound(name: &str, case: Case) {
    assert!(
        case.body.len() < cases::BODY_LIMIT,
        "{name}: over the body limit"
    );
    let outcome = cases::run(case).await;
    // Shown with --nocapture: the figures the README and the note quote.
    eprintln!(
        "memory: {name}: idle {:.1} MiB, peak {:.1} MiB, growth {:.1} MiB{}",
        outcome.idle_kib as f64 / 1024.0,
        outcome.peak_kib as f64 / 1024.0,
        outcome.growth_mib(),
        outcome
            .failure
            .as_deref()
            .map_or(String::new(), |f| format!(" ({f})"))
    );
    assert!(
        outcome.failure.is_none(),
        "{name}: no answer: {:?}",
        outcome.failure
    );
    assert!(
        outcome.growth_mib() < BOUND_MIB,
        "{name}: peak {:.1} MiB above idle, bound {BOUND_MIB} MiB",
        outcome.growth_mib()
    );
}

macro_rules! bounded {
    ($($name:ident => $case:expr;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                within_bound(stringify!($name), $case).await;
            }
        )*
    };
}

bounded! {
    lists_2_000_deep => cases::nested_lists(2_000);
    lists_100_000_deep => cases::nested_lists(100_000);
    selections_2_000_deep => cases::nested_selections(2_000);
    selections_100_000_deep => cases::nested_selections(100_000);
    input_objects_2_000_deep => cases::nested_objects(2_000);
    input_objects_100_000_deep => cases::nested_objects(100_000);
    parentheses_2_000_deep => cases::nested_parentheses(2_000);
    parentheses_100_000_deep => cases::nested_parentheses(100_000);
    a_500_kb_variable_used_2_000_times => cases::variable_used_2000_times();
    create_todos_sharing_one_large_variable => cases::create_todos_sharing_a_large_variable();
    create_todos_answering_100_000_descriptions => cases::create_todos_nested_pricing();
    a_1_mib_document_of_tokens => cases::one_mib_of_tokens();
    a_1_mib_string_literal => cases::one_mib_string_literal();
}
