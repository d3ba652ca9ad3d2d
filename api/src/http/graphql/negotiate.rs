//! Content negotiation of the GraphQL endpoint: which media type the response has (Accept)
//! and whether a POST body is one we read (Content-Type).

use axum::http::{
    HeaderMap, HeaderValue, StatusCode,
    header::{ACCEPT, CONTENT_TYPE},
};

use super::Refusal;

/// The media types a GraphQL response can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes tell request errors (400) from
    /// executed requests (200).
    GraphqlResponse,
    /// `application/json`, the legacy type: every well-formed request answers 200.
    Json,
}

impl MediaType {
    /// The `Content-Type` of a response body of this type.
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    fn subtype(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "graphql-response+json",
            Self::Json => "json",
        }
    }
}

/// The response type the client accepts, `None` when it accepts neither (406).
///
/// Without an Accept header the answer is `application/graphql-response+json`, as the spec
/// allows since its 2025 watershed: it is the type whose status codes say what happened.
/// When the client names one or both types, the weights decide and a tie goes to
/// `application/graphql-response+json`. When it names neither and only a wildcard (`*/*`)
/// lets them in, it is a generic or legacy client (curl, browsers' fetch, reqwest send
/// `*/*` by default) and gets `application/json`, whose errors still come with 200, as the
/// spec's audit asks.
pub fn response_type(headers: &HeaderMap) -> Option<MediaType> {
    let ranges: Vec<MediaRange<'_>> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(MediaRange::parse)
        .collect();
    if ranges.is_empty() {
        return Some(MediaType::GraphqlResponse);
    }
    let quality = |media: MediaType| {
        // The most specific range that matches decides the quality (RFC 9110, 12.5.1).
        ranges
            .iter()
            .filter_map(|range| range.specificity(media).map(|rank| (rank, range.quality)))
            .max_by_key(|(rank, _)| *rank)
            .map_or(0.0, |(_, quality)| quality)
    };
    let named = |media: MediaType| {
        ranges
            .iter()
            .any(|range| range.specificity(media) == Some(2))
    };
    let graphql_response = quality(MediaType::GraphqlResponse);
    let json = quality(MediaType::Json);
    if graphql_response <= 0.0 && json <= 0.0 {
        None
    } else if !named(MediaType::GraphqlResponse) && !named(MediaType::Json) {
        // Only wildcards matched: both types have the same weight.
        Some(MediaType::Json)
    } else if graphql_response >= json {
        Some(MediaType::GraphqlResponse)
    } else {
        Some(MediaType::Json)
    }
}

/// Refuses a POST body that is not `application/json` (415), or has no Content-Type at all
/// (400, as the spec and its audit ask). A charset other than UTF-8 is unsupported too.
pub fn require_json_body(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "a POST needs the Content-Type application/json",
        ));
    };
    let unsupported = || {
        Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be application/json",
        )
    };
    let text = value.to_str().map_err(|_| unsupported())?;
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(unsupported());
    }
    let foreign_charset = parts
        .filter_map(|param| param.split_once('='))
        .any(|(name, value)| {
            name.trim().eq_ignore_ascii_case("charset")
                && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        });
    if foreign_charset {
        return Err(unsupported());
    }
    Ok(())
}

/// One element of an Accept header: `type/subtype;q=0.5`.
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    quality: f32,
}

impl<'a> MediaRange<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let mut quality = 1.0;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                // A malformed weight makes the range unusable rather than preferred.
                quality = value.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
            }
        }
        Some(Self {
            kind: kind.trim(),
            subtype: subtype.trim(),
            quality,
        })
    }

    /// How specifically this range names `media`: 2 exactly, 1 as `application/*`, 0 as
    /// `*/*`; `None` when it does not match.
    fn specificity(&self, media: MediaType) -> Option<u8> {
        if self.kind == "*" && self.subtype == "*" {
            Some(0)
        } else if !self.kind.eq_ignore_ascii_case("application") {
            None
        } else if self.subtype == "*" {
            Some(1)
        } else {
            self.subtype
                .eq_ignore_ascii_case(media.subtype())
                .then_some(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        response_type(&headers)
    }

    #[test]
    fn negotiates_the_response_type() {
        use MediaType::{GraphqlResponse, Json};
        assert_eq!(response_type(&HeaderMap::new()), Some(GraphqlResponse));
        assert_eq!(accept("*/*"), Some(Json));
        assert_eq!(accept("application/*;q=0.8, */*"), Some(Json));
        assert_eq!(accept("application/json"), Some(Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json"),
            Some(GraphqlResponse)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.9"),
            Some(Json)
        );
        assert_eq!(accept("application/json;q=0.5, */*;q=0.1"), Some(Json));
        assert_eq!(
            accept("application/graphql-response+json;q=0, */*"),
            Some(Json)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.2, */*"),
            Some(Json)
        );
        assert_eq!(
            accept("application/graphql-response+json, */*;q=0.5"),
            Some(GraphqlResponse)
        );
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
