//! Every message the code writes for a person has its Arabic.
//!
//! The source is read for the places messages are written — error attributes, field
//! errors, validation messages, the reasons validators return, the text of error
//! variants — and each message, its format arguments filled with a sample, must be
//! found in the catalog. A new message without its Arabic fails here, not in front
//! of a customer.

use std::path::Path;

use regex::Regex;

use super::catalog::has_arabic;

/// Messages written where the scan looks that are never answered to anyone: causes
/// kept for the log (answered as a generic "internal error"), SQL, header names.
const NEVER_ANSWERED: &[&str] = &[
    "QR field with tag {tag} is not valid UTF-8",
    "QR payload ends inside the field with tag {tag}",
    "QR payload is empty",
    "QR payload is not valid Base64: {0}",
    "X-Initialization-Vector",
    "_seconds",
    "a {0} notification is not about a payment",
    "an invoice: {e}",
    "bad signature or claims",
    "body",
    "building the export: {e}",
    "database pool exhausted",
    "database: {0}",
    "database: {error}",
    "expired",
    "gave up after {} attempts whose worker stopped",
    "listing {id} has a price that is not in halalas",
    "making the sizes failed: {panicked}",
    "malformed token",
    "no Apple Pay entity id is configured",
    "no handler for {}",
    "no payload",
    "no payment of ours",
    "not a HyperPay payment: {0}",
    "not a media key",
    "not a payment notification",
    "order {order_id} no longer exists",
    "payment_refunds.status {:?}",
    "payments.{what} {value:?}",
    "provider refused the message: {0}",
    "provider unavailable",
    "provider unavailable: {0}",
    "rate limiter unavailable: {0}",
    "rate limiter: {cause}",
    "reading the account's request: {e}",
    "reading the account: {e}",
    "reading the index: {0}",
    "reading the invoices: {e}",
    "reading the order: {e}",
    "reading the original: {e:#}",
    "reading the seller's accounts: {e}",
    "redis unavailable: {0}",
    "service unavailable: {0}",
    "signed with an unknown key",
    "storing the {name} size: {e:#}",
    "the amount {0:?} is not a SAR amount",
    "the notification does not authenticate",
    "the notification does not decrypt with the webhook key",
    "the original {original_key} is missing",
    "the search task failed: {0}",
    "the {0} is not valid hex of the right length",
    "token revocation list: {error}",
    "unifonic answered with something that is not its JSON",
    "unifonic refused the message: {} {}",
    "unknown {what} in the database",
    "unreadable notification",
    "unreadable payload: {e}",
    "webhook key",
    "{provider} answered something unreadable: {reason}",
    "{provider} is unavailable: {reason}",
    "{provider} refused the request: {code} {message}",
    "{provider} answered {status}: {detail}",
    "{provider} throttled the request",
    "{provider} {what}",
];

/// A Rust string literal, its content caught.
const LITERAL: &str = r#""((?:[^"\\]|\\.)*)""#;
/// One argument before the message: anything up to a comma, with parentheses nested
/// two deep (`format!("[{}].{}", line, field)`).
const ARGUMENT: &str = r"(?:[^,()]|\((?:[^()]|\([^()]*\))*\))*";

fn patterns() -> Vec<Regex> {
    let format = r"(?:format!\(\s*)?";
    [
        format!(r"#\[error\(\s*{LITERAL}"),
        format!(r"(?:FieldError::new|invalid|whole_line)\(\s*{ARGUMENT},\s*{format}{LITERAL}"),
        format!(r"message\s*[=:]\s*{format}{LITERAL}"),
        format!(r"with_message\(\s*{format}{LITERAL}"),
        format!(r"let reason\s*=\s*{format}{LITERAL}"),
        format!(r"\bErr\(\s*{format}{LITERAL}"),
        // Validators that answer why a value fails: `return Some(…)`, `then_some(…)`.
        format!(r"(?:return Some|then_some)\(\s*{format}{LITERAL}"),
        format!(
            r"\b(?:Unauthenticated|Unauthorized|Forbidden|NotFound|Conflict|BadRequest|UnsupportedMediaType|Unavailable|Decided)\(\s*{format}{LITERAL}"
        ),
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).unwrap())
    .collect()
}

/// The messages written in `source`, tests left out.
fn messages_in(source: &str, patterns: &[Regex]) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut out = Vec::new();
    for pattern in patterns {
        for found in pattern.captures_iter(code) {
            out.push(unescape(&found[1]));
        }
    }
    // Reasons kept in constants (`const BAD_CODE: &str = "…"`), where a reason is
    // expected: `invalid("code", BAD_CODE)`, `Err(INVALID)`, `map_err(|_| INVALID)`.
    let constant = Regex::new(&format!(r"const ([A-Z_]+): &(?:'static )?str = {LITERAL}")).unwrap();
    for found in constant.captures_iter(code) {
        let name = &found[1];
        let used = Regex::new(&format!(
            r"(?:(?:invalid|FieldError::new)\(\s*{ARGUMENT},\s*|Err\(\s*|ok_or\(\s*|then_some\(\s*|\|\s*){name}\s*\)"
        ))
        .unwrap();
        if used.is_match(code) {
            out.push(unescape(&found[2]));
        }
    }
    out
}

fn unescape(literal: &str) -> String {
    literal.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// The message as it would be built, every format argument a sample value.
fn sample(message: &str) -> String {
    Regex::new(r"\{[A-Za-z0-9_]*(?::[^}]*)?\}").unwrap().replace_all(message, "7").into_owned()
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.ends_with("i18n") {
            // The catalog's own messages are about the catalog, for its authors.
            continue;
        }
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn every_message_a_person_reads_has_its_arabic() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let patterns = patterns();
    let mut missing = Vec::new();
    let mut seen = 0;
    for (path, source) in &files {
        for message in messages_in(source, &patterns) {
            let probe = sample(&message);
            // Constants that are not prose (names, SQL), and bare arguments (`{0}`).
            // Prose, or a word a message names (`order` in `{what} not found`); not
            // a header, a path, a media type.
            let prose = probe.contains(' ') || probe.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !prose || !probe.chars().any(|c| c.is_alphabetic()) || NEVER_ANSWERED.contains(&message.as_str()) {
                continue;
            }
            if probe.contains("SELECT ")
                || probe.contains("INSERT ")
                || probe.contains("UPDATE ")
                || probe.contains("DELETE ")
            {
                continue;
            }
            seen += 1;
            if !has_arabic(&probe) {
                missing.push(format!("{path}: {message}"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(seen > 150, "the scan found only {seen} messages: has the code's style changed?");
    assert!(missing.is_empty(), "{} messages have no Arabic in ar.toml:\n{}", missing.len(), missing.join("\n"));
}

#[test]
fn the_scan_finds_messages_where_they_are_written() {
    let source = r#"
        #[error("the flag is {0} already")]
        errors.push(FieldError::new(format!("[{}].{}", r.line, r.field), "must be 4 digits"));
        return Err(AppError::invalid("id", format!("must be {expected_type}")));
        #[validate(length(min = 1, message = "must not be blank"))]
        ValidationError::new("blank").with_message("must not be empty".into())
        let reason = "the seller still has orders to fulfil";
        (!valid).then_some("must be 10 digits")
        return Some(format!("must be at least {MIN_LENGTH} characters"));
        const BAD_CODE: &str = "is wrong or expired";
        const TABLE: &str = "not a message";
        return Err(AuthError::invalid("code", BAD_CODE));
        AuthError::Forbidden("only administrators may do this")
        #[cfg(test)]
        errors.push(FieldError::new("x", "a test's own message"));
    "#;
    let found = messages_in(source, &patterns());
    for expected in [
        "the flag is {0} already",
        "must be 4 digits",
        "must be {expected_type}",
        "must not be blank",
        "must not be empty",
        "the seller still has orders to fulfil",
        "is wrong or expired",
        "only administrators may do this",
        "must be 10 digits",
        "must be at least {MIN_LENGTH} characters",
    ] {
        assert!(found.iter().any(|m| m == expected), "{expected} not in {found:?}");
    }
    assert!(!found.iter().any(|m| m.contains("test's own") || m == "not a message"));
    assert_eq!(sample("must be between {min} and {:?}, not {0}"), "must be between 7 and 7, not 7");
}
