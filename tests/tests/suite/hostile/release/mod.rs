//! The hostile requests against the server as a process of its own (see [`cases`]),
//! whose parser and validator are optimized as in the shipped binary: stack overflows show
//! only there, since an unoptimized parser refuses earlier (Cargo.toml). Each request gets a
//! client error, never a crash, and the process answers afterwards.

pub(crate) mod cases;

use cases::{Case, Outcome};

/// Sends `case`; asserts the answer is a client error (4xx, or 200 with coded errors, none
/// INTERNAL) and the server survives it.
async fn refused_and_survived(case: Case) {
    let outcome = cases::run(case).await;
    let summary = summary(&outcome);
    let Some((status, body)) = &outcome.answer else {
        panic!("no answer: {summary}");
    };
    assert!(outcome.survived, "the server did not survive: {summary}");
    assert!(
        *status == 200 || (400..500).contains(status),
        "not a client error: {summary}"
    );
    let errors = body["errors"].as_array().map_or(&[][..], Vec::as_slice);
    assert!(!errors.is_empty(), "no error: {summary}");
    for error in errors {
        let code = error["extensions"]["code"].as_str();
        assert!(
            code.is_some_and(|code| code != "INTERNAL"),
            "not a client error's code: {summary}"
        );
    }
}

/// The outcome in a line, with at most the start of the body.
fn summary(outcome: &Outcome) -> String {
    let answer = outcome.answer.as_ref().map(|(status, body)| {
        let text = body.to_string();
        let cut: String = text.chars().take(400).collect();
        format!("HTTP {status} {cut}")
    });
    format!(
        "answer: {}, failure: {}, survived: {}",
        answer.as_deref().unwrap_or("none"),
        outcome.failure.as_deref().unwrap_or("none"),
        outcome.survived
    )
}

macro_rules! hostile {
    ($($name:ident => $case:expr;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                refused_and_survived($case).await;
            }
        )*
    };
}

hostile! {
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
    a_body_over_the_limit => cases::over_the_body_limit();
}
