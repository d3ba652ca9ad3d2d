//! Input rules shared by sign-up and profile updates. Each returns the normalized value or a
//! BAD_USER_INPUT error naming the field.

use crate::error::{Error, Result};

/// Shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted; argon2 would hash more, but a megabyte "password" is an attack.
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Username length bounds; the database also checks the minimum.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
/// Longest username.
pub const USERNAME_CHARS_MAX: usize = *USERNAME_CHARS.end();
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest bio.
pub const BIO_MAX_CHARS: usize = 1000;
/// Longest avatar URL.
pub const URL_MAX_CHARS: usize = 2048;

/// No NUL characters: PostgreSQL's text cannot hold them (SQLite's can), and no one types
/// them, so both backends refuse them alike, as the client's error on the field.
pub fn no_nul(raw: &str, field: &'static str) -> Result<()> {
    if raw.contains('\0') {
        return Err(Error::invalid(
            field,
            format!("{field} must not contain NUL characters."),
        ));
    }
    Ok(())
}

/// Trimmed and lowercased, so that `Ann@Example.com` and `ann@example.com` are one account.
pub fn email(raw: &str) -> Result<String> {
    no_nul(raw, "email")?;
    let email = raw.trim().to_lowercase();
    let valid = email.chars().count() <= EMAIL_MAX_CHARS
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("email", "Enter a valid email address."))
    }
}

/// Trimmed; letters, digits, `_`, `-` and `.`, 3 to 32 characters. No `@`, so that a login
/// name is never mistaken for an email.
pub fn username(raw: &str) -> Result<String> {
    let username = raw.trim();
    let length = username.chars().count();
    if !USERNAME_CHARS.contains(&length) {
        return Err(Error::invalid(
            "username",
            format!(
                "A username has {} to {} characters.",
                USERNAME_CHARS.start(),
                USERNAME_CHARS.end()
            ),
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(Error::invalid(
            "username",
            "A username may contain letters, digits, '_', '-' and '.' only.",
        ));
    }
    Ok(username.to_owned())
}

/// Not trimmed: spaces are part of a password.
pub fn password(raw: &str) -> Result<()> {
    let length = raw.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(Error::invalid(
            "password",
            format!("A password has at least {PASSWORD_MIN_CHARS} characters."),
        ));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(Error::invalid(
            "password",
            format!("A password has at most {PASSWORD_MAX_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Trimmed; at most [`BIO_MAX_CHARS`].
pub fn bio(raw: &str) -> Result<String> {
    no_nul(raw, "bio")?;
    let bio = raw.trim();
    if bio.chars().count() > BIO_MAX_CHARS {
        return Err(Error::invalid(
            "bio",
            format!("A bio has at most {BIO_MAX_CHARS} characters."),
        ));
    }
    Ok(bio.to_owned())
}

/// An http(s) URL without whitespace, at most [`URL_MAX_CHARS`].
pub fn avatar_url(raw: &str) -> Result<String> {
    no_nul(raw, "avatarUrl")?;
    let url = raw.trim();
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && url.chars().count() <= URL_MAX_CHARS
        && !url.chars().any(char::is_whitespace);
    if valid {
        Ok(url.to_owned())
    } else {
        Err(Error::invalid("avatarUrl", "Enter an http or https URL."))
    }
}

/// Longest todo title.
pub const TITLE_MAX_CHARS: usize = 200;
/// Longest todo description.
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
/// Longest tag name.
pub const TAG_NAME_MAX_CHARS: usize = 50;
/// Most tags one todo holds, after trimming and case-folding duplicates (the contract's cap).
pub const TAGS_PER_TODO_MAX: usize = 20;
/// Most tag names one list of a todo's tags may hold as sent, duplicates included: the cap
/// above counts distinct names, this one bounds what is read to find them.
pub const TAG_NAMES_MAX: usize = 100;
/// Longest substring search (todos, users, tags): a LIKE pattern's work grows with its
/// length, and no title, username or tag name is longer.
pub const SEARCH_MAX_CHARS: usize = 200;
/// Most tag names in a todo filter.
pub const FILTER_TAGS_MAX: usize = 50;
/// Most priorities in a todo filter (there are three).
pub const FILTER_PRIORITIES_MAX: usize = 3;
/// Longest global ID accepted; ours are under 40 characters.
pub const ID_MAX_CHARS: usize = 64;
/// Longest paging cursor accepted; ours stay under 2,000 characters even for a title key of
/// 200 escaped characters.
pub const CURSOR_MAX_CHARS: usize = 4096;
/// Longest date-time accepted (RFC 3339 needs 35 at most).
pub const DATE_TIME_MAX_CHARS: usize = 64;
/// Most todos one `createTodos` call may create: a thousand short ones fit the default
/// 1 MiB body, and its cost counts each of them (with what it selects), so that a large
/// batch is priced by what it returns.
pub const TODOS_PER_CALL_MAX: usize = 1000;
/// Longest login (a username or an email).
pub const LOGIN_MAX_CHARS: usize = EMAIL_MAX_CHARS;
/// Longest colour (`#rrggbb`).
pub const COLOR_MAX_CHARS: usize = 7;

/// Trimmed; 1 to 200 characters.
pub fn title(raw: &str) -> Result<String> {
    no_nul(raw, "title")?;
    let title = raw.trim();
    let length = title.chars().count();
    if length == 0 || length > TITLE_MAX_CHARS {
        return Err(Error::invalid(
            "title",
            format!("A title has 1 to {TITLE_MAX_CHARS} characters."),
        ));
    }
    Ok(title.to_owned())
}

/// At most 10,000 characters; an empty one is no description.
pub fn description(raw: &str) -> Result<Option<String>> {
    no_nul(raw, "description")?;
    if raw.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(Error::invalid(
            "description",
            format!("A description has at most {DESCRIPTION_MAX_CHARS} characters."),
        ));
    }
    Ok((!raw.trim().is_empty()).then(|| raw.to_owned()))
}

/// Trimmed; 1 to 50 characters. `field` names the input field for the error.
pub fn tag_name(raw: &str, field: &'static str) -> Result<String> {
    no_nul(raw, field)?;
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > TAG_NAME_MAX_CHARS {
        return Err(Error::invalid(
            field,
            format!("A tag name has 1 to {TAG_NAME_MAX_CHARS} characters."),
        ));
    }
    Ok(name.to_owned())
}

/// `#rrggbb`, stored lowercase.
pub fn color(raw: &str) -> Result<String> {
    let color = raw.trim().to_lowercase();
    let valid = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if valid {
        Ok(color)
    } else {
        Err(Error::invalid("color", "A color is #rrggbb, e.g. #3b82f6."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            email(" Ann@Example.COM ").ok().as_deref(),
            Some("ann@example.com")
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.de",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn usernames_have_bounds_and_a_charset() {
        assert_eq!(username(" ann ").ok().as_deref(), Some("ann"));
        assert!(username("an").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("ann@home").is_err());
        assert!(username("ann smith").is_err());
    }

    #[test]
    fn titles_tags_and_colors() {
        assert_eq!(title("  Buy milk ").ok().as_deref(), Some("Buy milk"));
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(201)).is_err());
        assert!(tag_name(&"x".repeat(51), "tags").is_err());
        assert_eq!(color("#3B82F6").ok().as_deref(), Some("#3b82f6"));
        for bad in ["3b82f6", "#3b82f", "#3b82fg", "red"] {
            assert!(color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_text_refuses_nul() {
        assert!(title("a\0b").is_err());
        assert!(description("a\0b").is_err());
        assert!(tag_name("\0", "tags").is_err());
        assert!(email("a\0@example.com").is_err());
        assert!(bio("\0").is_err());
        assert!(avatar_url("https://x\0").is_err());
        assert_eq!(
            title("\u{202e}\u{1f600}").ok().as_deref(),
            Some("\u{202e}\u{1f600}")
        );
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
    }
}
