//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, SubsecRound, Utc};

/// An instant in UTC, as a GraphQL `DateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An RFC 3339 date-time. Output is always UTC with a Z suffix; input may carry any offset
/// (at most 64 characters) and is stored in UTC.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://scalars.graphql.org/andimarek/date-time"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        parse_rfc3339(text).map_err(|_| {
            InputValueError::custom(format!(
                "{text:?} is not an RFC 3339 date-time such as 2026-01-31T09:30:00Z"
            ))
        })
    }

    /// Checked during validation too, where the error names the input field at fault
    /// (`Invalid value for argument "input.dueDate"`), which becomes extensions.field.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if parse_rfc3339(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

fn parse_rfc3339(text: &str) -> Result<DateTime, chrono::ParseError> {
    chrono::DateTime::parse_from_rfc3339(text)
        // Microseconds: what PostgreSQL keeps, so a value reads back as it was written.
        .map(|instant| DateTime(instant.with_timezone(&Utc).trunc_subsecs(6)))
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(instant: chrono::DateTime<Utc>) -> Self {
        Self(instant)
    }
}
