//! The DNS editor's rules: normalising and checking one record, linting a zone for mail
//! problems, diffing an edited zone against the loaded one, and the mail-provider templates.
//!
//! The browser runs these for instant feedback and the server runs them again before calling
//! CMR (reference §4.4), so this is pure logic: no I/O and nothing server-only.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cmr::types::{DnsRecord, RecordType};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// DMARC tags CMR adds to a `_dmarc` TXT record unless the add request excludes them (§4.4).
pub const DMARC_AUTO_TAGS: [&str; 9] =
    ["rua", "ruf", "fo", "rf", "ri", "pct", "sp", "aspf", "adkim"];
/// Receivers stop after this many DNS lookups while evaluating SPF and fail it (RFC 7208 §4.6.4).
pub const SPF_MAX_LOOKUPS: usize = 10;
/// Longest TXT value the editor accepts.
pub const TXT_MAX_CHARS: usize = 2048;
/// Longest single character-string in DNS; a longer unquoted value is split by CMR.
pub const TXT_MAX_STRING: usize = 255;
/// Longest full DNS name, in characters, without the trailing dot.
const NAME_MAX: usize = 253;
/// Longest label (the part between two dots).
const LABEL_MAX: usize = 63;

/// The `field` values of a [`Problem`], so a form can place each message under its input.
pub const PROBLEM_FIELDS: [&str; 5] = [
    "host",
    "record_type",
    "value",
    "priority",
    "excluded_dmarc_tags",
];

/// Every [`Finding::code`] [`lint`] can produce; stable, so pages and tests can key on them.
pub const FINDING_CODES: [&str; 12] = [
    "spf-missing",
    "spf-multiple",
    "spf-too-many-lookups",
    "dmarc-missing",
    "dmarc-multiple",
    "dmarc-policy-none",
    "mx-missing",
    "mx-wrong-provider",
    "mx-mixed",
    "duplicate-record",
    "cname-conflict",
    "cname-apex",
];

/// One record as the editor holds it. TTL is left out: CMR shows it but its add and update
/// bodies do not take it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordDraft {
    /// `None` for a record that is not at CMR yet.
    pub record_id: Option<String>,
    /// Relative to the domain: `@`, `mail`, `_dmarc`, …
    pub host: String,
    pub record_type: RecordType,
    pub value: String,
    /// MX only; `""` otherwise.
    pub priority: String,
    /// DMARC tags CMR must not add; only sent when adding a TXT record on `_dmarc`.
    pub excluded_dmarc_tags: Vec<String>,
}

impl RecordDraft {
    /// The editable part of a record as CMR lists it (an empty id counts as none).
    pub fn from_record(r: &DnsRecord) -> RecordDraft {
        RecordDraft {
            record_id: Some(r.record_id.clone()).filter(|id| !id.is_empty()),
            host: r.host.clone(),
            record_type: r.record_type.clone(),
            value: r.value.clone(),
            priority: r.priority.clone(),
            excluded_dmarc_tags: Vec::new(),
        }
    }

    /// A record that is not at CMR yet.
    pub fn new(host: &str, record_type: RecordType, value: &str, priority: &str) -> RecordDraft {
        RecordDraft {
            record_id: None,
            host: host.to_string(),
            record_type,
            value: value.to_string(),
            priority: priority.to_string(),
            excluded_dmarc_tags: Vec::new(),
        }
    }
}

/// Why one record cannot be saved, attached to the input that must change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// One of [`PROBLEM_FIELDS`].
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// How bad a [`Finding`] is; the order is the display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Mail will break, or CMR will refuse the zone.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing; nothing is broken.
    Info,
}

impl Severity {
    /// Lower-case name, for CSS classes and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem [`lint`] found in a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// One of [`FINDING_CODES`].
    pub code: &'static str,
    pub message: String,
}

fn finding(severity: Severity, code: &'static str, message: impl Into<String>) -> Finding {
    debug_assert!(FINDING_CODES.contains(&code));
    Finding {
        severity,
        code,
        message: message.into(),
    }
}

// Serde's derive would make a `&'static str` field borrow from the input for `'static`, so
// [`Problem`] and [`Finding`] are read through these owned shapes and their names mapped back
// to the known constants.

#[derive(Deserialize)]
struct ProblemWire {
    field: String,
    message: String,
}

impl<'de> Deserialize<'de> for Problem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Problem, D::Error> {
        Problem::try_from(ProblemWire::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl TryFrom<ProblemWire> for Problem {
    type Error = String;

    fn try_from(w: ProblemWire) -> Result<Problem, String> {
        let field = PROBLEM_FIELDS
            .into_iter()
            .find(|f| *f == w.field)
            .ok_or_else(|| format!("unknown DNS problem field {:?}", w.field))?;
        Ok(problem(field, w.message))
    }
}

#[derive(Deserialize)]
struct FindingWire {
    severity: Severity,
    code: String,
    message: String,
}

impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Finding, D::Error> {
        Finding::try_from(FindingWire::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl TryFrom<FindingWire> for Finding {
    type Error = String;

    fn try_from(w: FindingWire) -> Result<Finding, String> {
        let code = FINDING_CODES
            .into_iter()
            .find(|c| *c == w.code)
            .ok_or_else(|| format!("unknown DNS finding code {:?}", w.code))?;
        Ok(finding(w.severity, code, w.message))
    }
}

// ---------------------------------------------------------------------------------------------
// Normalising
//
// Case folds in ASCII only, here and when comparing: DNS names compare so (RFC 4343), and every
// name and TXT value the editor accepts is ASCII. Unicode's case tables also cost the DNS
// page about 11 kB of its first load (BENCHMARKS.md, "the first-load budget").

/// The domain as a bare lower-case name (no surrounding spaces, no trailing dot).
fn zone_name(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A host as CMR stores it: lower case and relative to the domain, `@` for the domain itself.
/// Staff often paste the full name (`mail.example.com.`), which would otherwise create
/// `mail.example.com.example.com`.
pub fn normalise_host(domain: &str, host: &str) -> String {
    let zone = zone_name(domain);
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() || host == "@" {
        return "@".to_string();
    }
    if !zone.is_empty() {
        let bare = host.strip_suffix('.').unwrap_or(&host);
        if bare == zone {
            return "@".to_string();
        }
        if let Some(sub) = bare
            .strip_suffix(zone.as_str())
            .and_then(|s| s.strip_suffix('.'))
        {
            if !sub.is_empty() {
                return sub.to_string();
            }
        }
    }
    host
}

/// A valid MX priority in its plain form (`"010"` → `"10"`), anything else just trimmed.
fn normalise_priority(raw: &str) -> String {
    let p = raw.trim();
    match p.parse::<u16>() {
        Ok(n) => n.to_string(),
        Err(_) => p.to_string(),
    }
}

/// The record in the form CMR stores, without judging it: trimmed, host relative and lower
/// case, type in its canonical spelling, priority only on MX, DMARC tags lower case and
/// without repeats.
pub fn normalise(domain: &str, draft: &RecordDraft) -> RecordDraft {
    let record_type = RecordType::parse(draft.record_type.as_str());
    let priority = if record_type == RecordType::Mx {
        normalise_priority(&draft.priority)
    } else {
        String::new()
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in &draft.excluded_dmarc_tags {
        let tag = tag.trim().to_ascii_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    RecordDraft {
        record_id: draft.record_id.clone(),
        host: normalise_host(domain, &draft.host),
        record_type,
        value: draft.value.trim().to_string(),
        priority,
        excluded_dmarc_tags: tags,
    }
}

// ---------------------------------------------------------------------------------------------
// Checking one record

/// Normalises one record and checks it on its own and against the rest of the zone
/// (`others`, which should not contain it; a record with the same id is skipped anyway).
/// Returns the normalised record, or every problem found so the form can show them at once.
pub fn check(
    domain: &str,
    draft: &RecordDraft,
    others: &[RecordDraft],
) -> Result<RecordDraft, Vec<Problem>> {
    let zone = zone_name(domain);
    let d = normalise(domain, draft);
    let mut out = Vec::new();

    let host_ok = check_host(&zone, &d.host, &mut out);
    let type_ok = check_type(&d.record_type, &mut out);
    if type_ok {
        if d.record_type == RecordType::Mx {
            check_priority(&d.priority, &mut out);
        }
        check_value(&zone, &d, &mut out);
    }
    check_dmarc_tags(&d, &mut out);
    if host_ok && type_ok {
        check_neighbours(domain, &d, others, &mut out);
    }

    if out.is_empty() {
        Ok(d)
    } else {
        Err(out)
    }
}

fn check_host(zone: &str, host: &str, out: &mut Vec<Problem>) -> bool {
    if host == "@" {
        return true;
    }
    if host.ends_with('.') {
        out.push(problem(
            "host",
            format!(
                "{host} ends with a dot, which makes it a full name outside {zone}. Type only \
                 the part before .{zone} (e.g. mail), or @ for {zone} itself."
            ),
        ));
        return false;
    }
    for (i, label) in host.split('.').enumerate() {
        if label == "*" {
            if i == 0 {
                continue;
            }
            out.push(problem(
                "host",
                "* can only be the first part of the host, as in * or *.mail.",
            ));
            return false;
        }
        if let Some(message) = label_problem(label, "host") {
            out.push(problem("host", message));
            return false;
        }
    }
    let full = host.len() + 1 + zone.len();
    if full > NAME_MAX {
        out.push(problem(
            "host",
            format!(
                "The full name {host}.{zone} is {full} characters long; DNS allows at most \
                 {NAME_MAX}. Use a shorter host."
            ),
        ));
        return false;
    }
    true
}

/// What is wrong with one label of a name, if anything. `what` names the input ("host").
fn label_problem(label: &str, what: &str) -> Option<String> {
    if label.is_empty() {
        return Some(format!(
            "The {what} has an empty part: remove the extra dot (two dots in a row, or a dot \
             at the start)."
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Some(if c.is_whitespace() {
            format!("Remove the space from the {what}.")
        } else {
            format!("The {what} can only contain letters, digits, - and _: remove \"{c}\".")
        });
    }
    if label.len() > LABEL_MAX {
        return Some(format!(
            "Each part of the {what} between dots can be at most {LABEL_MAX} characters; \
             \"{}…\" has {}. Shorten it.",
            &label[..12],
            label.len()
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some(format!(
            "A part of the {what} cannot start or end with a hyphen: \"{label}\"."
        ));
    }
    None
}

fn check_type(t: &RecordType, out: &mut Vec<Problem>) -> bool {
    if t.is_known() {
        return true;
    }
    out.push(problem(
        "record_type",
        if t.as_str().is_empty() {
            "Choose a record type: A, AAAA, CNAME, MX, TXT or NS.".to_string()
        } else {
            format!(
                "The DNS editor takes A, AAAA, CNAME, MX, TXT and NS records; \"{t}\" is not \
                 one of them."
            )
        },
    ));
    false
}

fn check_priority(p: &str, out: &mut Vec<Problem>) {
    if p.is_empty() {
        out.push(problem(
            "priority",
            "Enter the MX priority: a whole number from 0 to 65535, e.g. 10. Lower numbers are \
             tried first.",
        ));
    } else if p.parse::<u16>().is_err() {
        out.push(problem(
            "priority",
            format!(
                "The MX priority must be a whole number from 0 to 65535; \"{p}\" is not. Lower \
                 numbers are tried first."
            ),
        ));
    }
}

fn check_value(zone: &str, d: &RecordDraft, out: &mut Vec<Problem>) {
    let v = d.value.as_str();
    let t = &d.record_type;
    if v.is_empty() {
        let message = match t {
            RecordType::A => "Enter the IPv4 address the host points to, e.g. 192.0.2.10.",
            RecordType::Aaaa => "Enter the IPv6 address the host points to, e.g. 2001:db8::10.",
            RecordType::Cname => {
                "Enter the name this host is an alias of, e.g. ghs.googlehosted.com."
            }
            RecordType::Mx => "Enter the mail server's name, e.g. smtp.google.com.",
            RecordType::Ns => "Enter the name server's name, e.g. ns1.example.net.",
            _ => "Enter the text of the record, e.g. v=spf1 include:_spf.google.com ~all.",
        };
        out.push(problem("value", message));
        return;
    }
    if *t == RecordType::Txt {
        check_txt(v, out);
        return;
    }
    if v.chars().any(char::is_whitespace) {
        let parts: Vec<&str> = v.split_whitespace().collect();
        let message = if *t == RecordType::Mx && parts.len() == 2 && parts[0].parse::<u16>().is_ok()
        {
            format!(
                "Put the priority ({}) in the priority field and only the mail server's name \
                 ({}) in the value.",
                parts[0], parts[1]
            )
        } else {
            let what = match t {
                RecordType::A | RecordType::Aaaa => "address",
                _ => "name",
            };
            format!("Remove the spaces: a {t} value is a single {what}.")
        };
        out.push(problem("value", message));
        return;
    }
    let host = &d.host;
    let message = match t {
        RecordType::A => {
            if v.parse::<Ipv4Addr>().is_ok() {
                None
            } else if v.parse::<Ipv6Addr>().is_ok() {
                Some(
                    "That is an IPv6 address: use an AAAA record, or enter an IPv4 address like \
                     192.0.2.10."
                        .to_string(),
                )
            } else if v.chars().any(|c| c.is_ascii_alphabetic()) {
                Some(format!(
                    "An A record needs an IPv4 address like 192.0.2.10. To make {host} an alias \
                     of {v}, use a CNAME record."
                ))
            } else {
                Some(format!(
                    "\"{v}\" is not an IPv4 address. Enter four numbers from 0 to 255 separated \
                     by dots, like 192.0.2.10."
                ))
            }
        }
        RecordType::Aaaa => {
            if v.parse::<Ipv6Addr>().is_ok() {
                None
            } else if v.parse::<Ipv4Addr>().is_ok() {
                Some(
                    "That is an IPv4 address: use an A record, or enter an IPv6 address like \
                     2001:db8::10."
                        .to_string(),
                )
            } else {
                Some(format!(
                    "\"{v}\" is not an IPv6 address. Enter one like 2001:db8::10."
                ))
            }
        }
        RecordType::Cname | RecordType::Mx | RecordType::Ns => target_problem(zone, t, v),
        _ => None,
    };
    if let Some(message) = message {
        out.push(problem("value", message));
    }
}

/// What is wrong with the name a CNAME, MX or NS record points to, if anything.
fn target_problem(zone: &str, t: &RecordType, v: &str) -> Option<String> {
    if v == "@" {
        return Some(format!("Type the full name instead of @, e.g. {zone}."));
    }
    if v.contains('/') {
        return Some("Enter only a name, like mail.example.com, without http:// or a path.".into());
    }
    if v.parse::<IpAddr>().is_ok() {
        return Some(match t {
            RecordType::Mx => format!(
                "An MX record must name a mail server, not an IP address. Enter the server's \
                 name (e.g. mail.{zone}) and give that name an A record."
            ),
            RecordType::Cname => {
                "A CNAME points to a name, not an IP address. For an IP address use an A \
                 record (or AAAA for IPv6)."
                    .to_string()
            }
            _ => "An NS record names a name server, not an IP address. Enter its name, e.g. \
                  ns1.example.net."
                .to_string(),
        });
    }
    let bare = v.strip_suffix('.').unwrap_or(v);
    if !bare.contains('.') {
        return Some(format!(
            "\"{v}\" is not a full name. Enter the whole name, e.g. {bare}.{zone}."
        ));
    }
    for label in bare.split('.') {
        if let Some(message) = label_problem(label, "name") {
            return Some(message);
        }
    }
    if bare.len() > NAME_MAX {
        return Some(format!(
            "The name is {} characters long; DNS allows at most {NAME_MAX}.",
            bare.len()
        ));
    }
    None
}

fn check_txt(v: &str, out: &mut Vec<Problem>) {
    if let Some(c) = v.chars().find(|c| !(' '..='~').contains(c)) {
        let message = match c {
            '\n' | '\r' => "Remove the line breaks: a TXT value is one line.".to_string(),
            '\t' => "Replace the tab with a space.".to_string(),
            '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}' => format!(
                "Replace the curly quote {c} with a straight one (\" or ') — the text was \
                 probably pasted from a document."
            ),
            c if c.is_control() => format!(
                "Remove the invisible control character (U+{:04X}) from the value.",
                c as u32
            ),
            c => format!(
                "A TXT record can only hold plain ASCII characters; remove or replace \"{c}\"."
            ),
        };
        out.push(problem("value", message));
        return;
    }
    if v.len() > TXT_MAX_CHARS {
        out.push(problem(
            "value",
            format!(
                "A TXT value can be at most {TXT_MAX_CHARS} characters; this one has {}.",
                v.len()
            ),
        ));
        return;
    }
    if !v.contains('"') {
        return;
    }
    match quoted_strings(v) {
        None => out.push(problem(
            "value",
            "The quotes in this value do not pair up: close every \" you open, or remove all \
             the quotes.",
        )),
        Some(parts) => {
            for (i, part) in parts.iter().enumerate() {
                let n = part.chars().count();
                if n > TXT_MAX_STRING {
                    out.push(problem(
                        "value",
                        format!(
                            "Each quoted part of a TXT value can be at most {TXT_MAX_STRING} \
                             characters; part {} has {n}. Split it into several quoted parts \
                             (\"…\" \"…\"), or remove the quotes and CMR will split it.",
                            i + 1
                        ),
                    ));
                    return;
                }
            }
        }
    }
}

/// The contents of each quoted string in a TXT value (`\"` and `\\` unescaped); `None` when a
/// quote is left open.
fn quoted_strings(v: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match (current.as_mut(), c) {
            (Some(s), '\\') => s.push(chars.next()?),
            (Some(_), '"') => parts.extend(current.take()),
            (Some(s), c) => s.push(c),
            (None, '"') => current = Some(String::new()),
            (None, _) => {}
        }
    }
    current.is_none().then_some(parts)
}

fn is_dmarc_host(host: &str) -> bool {
    host == "_dmarc" || host.starts_with("_dmarc.")
}

fn check_dmarc_tags(d: &RecordDraft, out: &mut Vec<Problem>) {
    if d.excluded_dmarc_tags.is_empty() {
        return;
    }
    if d.record_type != RecordType::Txt || !is_dmarc_host(&d.host) {
        out.push(problem(
            "excluded_dmarc_tags",
            "Excluded DMARC tags only apply to a TXT record on _dmarc (CMR refuses them \
             elsewhere). Clear them, or make this a TXT record on _dmarc.",
        ));
        return;
    }
    let unknown: Vec<String> = d
        .excluded_dmarc_tags
        .iter()
        .filter(|t| !DMARC_AUTO_TAGS.contains(&t.as_str()))
        .map(|t| format!("\"{t}\""))
        .collect();
    if !unknown.is_empty() {
        out.push(problem(
            "excluded_dmarc_tags",
            format!(
                "CMR only adds the DMARC tags {}; remove {}.",
                DMARC_AUTO_TAGS.join(", "),
                join_and(&unknown)
            ),
        ));
    }
}

/// The rules that need the rest of the zone: nothing beside a CNAME, no CNAME at the apex, no
/// exact copy of an existing record.
fn check_neighbours(domain: &str, d: &RecordDraft, others: &[RecordDraft], out: &mut Vec<Problem>) {
    let host = &d.host;
    let is_cname = d.record_type == RecordType::Cname;
    if is_cname && host == "@" {
        out.push(problem(
            "host",
            "A CNAME cannot be on @: the domain itself always has other records (SOA, NS, MX), \
             and a CNAME allows none beside it. Use an A record for @, or put the CNAME on a \
             subdomain such as www.",
        ));
    }
    let neighbours: Vec<RecordDraft> = others
        .iter()
        .filter(|o| d.record_id.is_none() || o.record_id != d.record_id)
        .map(|o| normalise(domain, o))
        .filter(|o| o.host == d.host)
        .collect();

    if is_cname && host != "@" {
        if let Some(o) = neighbours.first() {
            let message = if o.record_type == RecordType::Cname {
                format!(
                    "{host} already has a CNAME record (to {}): a name can be an alias of only \
                     one name. Edit that record instead.",
                    o.value
                )
            } else {
                format!(
                    "{host} already has a {} record: a CNAME cannot share its name with other \
                     records. Use another host, or delete the records on {host} first.",
                    o.record_type
                )
            };
            out.push(problem("host", message));
        }
    } else if let Some(o) = neighbours
        .iter()
        .find(|o| o.record_type == RecordType::Cname)
    {
        out.push(problem(
            "host",
            format!(
                "{host} has a CNAME record (to {}): nothing else can be on that name. Use \
                 another host, or delete the CNAME first.",
                o.value
            ),
        ));
    }

    let key = same_key(d);
    if neighbours.iter().any(|o| same_key(o) == key) {
        out.push(problem(
            "value",
            format!("{host} already has this {} record.", d.record_type),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing records

/// A value in a form where spellings that mean the same compare equal: IP addresses parsed,
/// names lower case without the trailing dot. TXT stays exact (DKIM keys are case-sensitive).
fn value_key(t: &RecordType, value: &str) -> String {
    let v = value.trim();
    match t {
        RecordType::A | RecordType::Aaaa => v
            .parse::<IpAddr>()
            .map_or_else(|_| v.to_string(), |ip| ip.to_string()),
        RecordType::Cname | RecordType::Mx | RecordType::Ns => {
            v.strip_suffix('.').unwrap_or(v).to_ascii_lowercase()
        }
        _ => v.to_string(),
    }
}

/// What makes two (normalised) records duplicates: host, type, priority and the value ignoring
/// case, a trailing dot and TXT quoting.
fn same_key(r: &RecordDraft) -> (String, String, String, String) {
    let value = match r.record_type {
        RecordType::Txt => txt_text(&r.value),
        _ => value_key(&r.record_type, &r.value),
    }
    .to_ascii_lowercase();
    let value = value.strip_suffix('.').unwrap_or(&value).to_string();
    (
        r.host.clone(),
        r.record_type.as_str().to_ascii_uppercase(),
        value,
        r.priority.clone(),
    )
}

/// The text receivers see in a TXT value: quoted strings joined, or the value as typed.
fn txt_text(value: &str) -> String {
    let v = value.trim();
    if v.starts_with('"') {
        if let Some(parts) = quoted_strings(v) {
            return parts.concat();
        }
    }
    v.to_string()
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A value short enough for a message.
fn short(value: &str) -> String {
    if value.chars().count() > 60 {
        format!("{}…", value.chars().take(57).collect::<String>())
    } else {
        value.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Linting a zone

fn starts_with_tag(text: &str, tag: &str) -> bool {
    text.trim_start()
        .to_ascii_lowercase()
        .strip_prefix(tag)
        .is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(';') || rest.starts_with(char::is_whitespace)
        })
}

/// Whether a TXT text is an SPF record (`v=spf1` followed by nothing or a space).
pub fn is_spf(text: &str) -> bool {
    starts_with_tag(text, "v=spf1")
}

/// Whether a TXT text is a DMARC record.
pub fn is_dmarc(text: &str) -> bool {
    starts_with_tag(text, "v=dmarc1")
}

/// DNS lookups an SPF record costs at its top level: `include`, `a`, `mx`, `ptr`, `exists`
/// and `redirect`. Nested includes cost more, so the true count is at least this.
pub fn spf_lookups(spf: &str) -> usize {
    spf.split_whitespace()
        .skip(1)
        .filter(|term| {
            let term = term.to_ascii_lowercase();
            let t = term.strip_prefix(['+', '-', '~', '?']).unwrap_or(&term);
            t == "a"
                || t == "mx"
                || t == "ptr"
                || [
                    "include:",
                    "a:",
                    "a/",
                    "mx:",
                    "mx/",
                    "ptr:",
                    "exists:",
                    "redirect=",
                ]
                .iter()
                .any(|p| t.starts_with(p))
        })
        .count()
}

/// The `p=` policy of a DMARC record, lower case.
fn dmarc_policy(text: &str) -> Option<String> {
    text.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("p")
            .then(|| value.trim().to_ascii_lowercase())
    })
}

/// Mail problems in a zone (its active records). `provider` is the domain's mail provider as
/// CMR spells it (`GOOGLE`, `MICROSOFT`; anything else is not checked against), `sending`
/// whether the domain has mailboxes. Errors first.
pub fn lint(
    domain: &str,
    provider: Option<&str>,
    sending: bool,
    zone: &[RecordDraft],
) -> Vec<Finding> {
    let name = zone_name(domain);
    let template = provider.and_then(Template::for_provider);
    let records: Vec<RecordDraft> = zone.iter().map(|r| normalise(domain, r)).collect();
    let mut out = Vec::new();
    lint_spf(&name, template, sending, &records, &mut out);
    lint_dmarc(&name, sending, &records, &mut out);
    if let Some(template) = template {
        lint_mx(&name, template, &records, &mut out);
    }
    lint_cname(&records, &mut out);
    lint_duplicates(&records, &mut out);
    out.sort_by_key(|f| f.severity);
    out
}

fn txt_texts<'a>(records: &'a [RecordDraft], host: &'a str) -> impl Iterator<Item = String> + 'a {
    records
        .iter()
        .filter(move |r| r.record_type == RecordType::Txt && r.host == host)
        .map(|r| txt_text(&r.value))
}

fn lint_spf(
    domain: &str,
    template: Option<Template>,
    sending: bool,
    records: &[RecordDraft],
    out: &mut Vec<Finding>,
) {
    let spf: Vec<String> = txt_texts(records, "@").filter(|t| is_spf(t)).collect();
    match spf.len() {
        0 if sending => {
            let example = template
                .map_or("v=spf1 include:<your mail provider's SPF name> ~all", |t| {
                    t.spf()
                });
            out.push(finding(
                Severity::Warning,
                "spf-missing",
                format!(
                    "No SPF record on @: receivers cannot check which servers may send for \
                     {domain}, so its mail is more likely to land in spam. Add a TXT record on \
                     @ with {example}."
                ),
            ));
        }
        0 => out.push(finding(
            Severity::Info,
            "spf-missing",
            format!(
                "No SPF record on @. {domain} sends no mail now; if it never will, add a TXT \
                 record on @ with v=spf1 -all so nobody can send as it, otherwise add the mail \
                 provider's SPF before it sends."
            ),
        )),
        1 => {}
        n => out.push(finding(
            Severity::Error,
            "spf-multiple",
            if n == 2 {
                "Two SPF records on @: receivers reject both. Merge them into one.".to_string()
            } else {
                format!("{n} SPF records on @: receivers reject all of them. Merge them into one.")
            },
        )),
    }
    for text in &spf {
        let n = spf_lookups(text);
        if n > SPF_MAX_LOOKUPS {
            out.push(finding(
                Severity::Error,
                "spf-too-many-lookups",
                format!(
                    "The SPF record on @ needs at least {n} DNS lookups (lookups inside its \
                     includes are not counted); receivers allow {SPF_MAX_LOOKUPS} and fail SPF \
                     beyond that. Remove includes you no longer use, or replace some with ip4: \
                     ranges."
                ),
            ));
        }
    }
}

fn lint_dmarc(domain: &str, sending: bool, records: &[RecordDraft], out: &mut Vec<Finding>) {
    let dmarc: Vec<String> = txt_texts(records, "_dmarc")
        .filter(|t| is_dmarc(t))
        .collect();
    match dmarc.as_slice() {
        [] => out.push(finding(
            Severity::Warning,
            "dmarc-missing",
            "No DMARC record on _dmarc: receivers have no policy for mail that fails SPF and \
             DKIM, and large ones expect it from bulk senders. Add a TXT record on _dmarc with \
             v=DMARC1; p=quarantine (CMR adds the report tags).",
        )),
        [one] => {
            if sending && dmarc_policy(one).as_deref() == Some("none") {
                out.push(finding(
                    Severity::Warning,
                    "dmarc-policy-none",
                    format!(
                        "The DMARC record on _dmarc has p=none: mail that fails SPF and DKIM is \
                         still delivered, so others can send as {domain}. Once the reports look \
                         clean, change it to p=quarantine."
                    ),
                ));
            }
        }
        many => out.push(finding(
            Severity::Error,
            "dmarc-multiple",
            if many.len() == 2 {
                "Two DMARC records on _dmarc: receivers ignore both. Keep one and delete the \
                 other."
                    .to_string()
            } else {
                format!(
                    "{} DMARC records on _dmarc: receivers ignore all of them. Keep one and \
                     delete the others.",
                    many.len()
                )
            },
        )),
    }
}

fn lint_mx(domain: &str, template: Template, records: &[RecordDraft], out: &mut Vec<Finding>) {
    let label = template.label();
    let mx: Vec<&RecordDraft> = records
        .iter()
        .filter(|r| r.record_type == RecordType::Mx && r.host == "@")
        .collect();
    if mx.is_empty() {
        let (priority, host) = template.mx(domain).swap_remove(0);
        out.push(finding(
            Severity::Error,
            "mx-missing",
            format!(
                "No MX record on @: mail to {domain} has nowhere to go, so its {label} mailboxes \
                 receive nothing. Apply the {label} template, or add an MX record on @ with \
                 priority {priority} and value {host}."
            ),
        ));
        return;
    }
    let wrong: Vec<String> = mx
        .iter()
        .filter(|r| !template.accepts_mx(&r.value))
        .map(|r| r.value.strip_suffix('.').unwrap_or(&r.value).to_string())
        .collect();
    if wrong.len() == mx.len() {
        out.push(finding(
            Severity::Error,
            "mx-wrong-provider",
            format!(
                "The MX records on @ point to {}, not to {label}: mail to {domain} will not \
                 reach its mailboxes. Apply the {label} template to replace them.",
                join_and(&wrong)
            ),
        ));
    } else if !wrong.is_empty() {
        let (noun, them) = if wrong.len() == 1 {
            ("record", "it")
        } else {
            ("records", "them")
        };
        out.push(finding(
            Severity::Warning,
            "mx-mixed",
            format!(
                "The MX {noun} on @ pointing to {} {} not {label}'s: some mail to {domain} \
                 may go there instead of to the mailboxes. Delete {them} unless that is \
                 intended.",
                join_and(&wrong),
                if wrong.len() == 1 { "is" } else { "are" },
            ),
        ));
    }
}

fn lint_cname(records: &[RecordDraft], out: &mut Vec<Finding>) {
    let mut hosts: Vec<&str> = Vec::new();
    for r in records {
        if r.record_type == RecordType::Cname && !hosts.contains(&r.host.as_str()) {
            hosts.push(&r.host);
        }
    }
    for host in hosts {
        if host == "@" {
            out.push(finding(
                Severity::Error,
                "cname-apex",
                "@ has a CNAME record: the domain itself cannot be an alias, because a CNAME \
                 allows no other records beside it and @ needs its SOA, NS and MX records. \
                 Replace it with an A record.",
            ));
            continue;
        }
        let mut types: Vec<String> = Vec::new();
        let mut targets: HashSet<String> = HashSet::new();
        for r in records.iter().filter(|r| r.host == host) {
            if r.record_type == RecordType::Cname {
                targets.insert(value_key(&r.record_type, &r.value));
            } else if !types.contains(&r.record_type.to_string()) {
                types.push(r.record_type.to_string());
            }
        }
        if !types.is_empty() {
            out.push(finding(
                Severity::Error,
                "cname-conflict",
                format!(
                    "{host} has a CNAME and also {} records: nothing may sit beside a CNAME, so \
                     resolvers may ignore either. Delete the CNAME, or move the other records \
                     to another host.",
                    join_and(&types)
                ),
            ));
        }
        if targets.len() > 1 {
            out.push(finding(
                Severity::Error,
                "cname-conflict",
                format!(
                    "{host} has {} CNAME records pointing to different names: a name can be an \
                     alias of only one. Keep one.",
                    targets.len()
                ),
            ));
        }
    }
}

fn lint_duplicates(records: &[RecordDraft], out: &mut Vec<Finding>) {
    let mut groups: Vec<(&RecordDraft, usize)> = Vec::new();
    let mut index: HashMap<(String, String, String, String), usize> = HashMap::new();
    for r in records {
        let i = *index.entry(same_key(r)).or_insert_with(|| {
            groups.push((r, 0));
            groups.len() - 1
        });
        groups[i].1 += 1;
    }
    for (r, n) in groups.into_iter().filter(|(_, n)| *n > 1) {
        let (times, extra) = if n == 2 {
            ("twice".to_string(), "the extra copy".to_string())
        } else {
            (format!("{n} times"), format!("the {} extra copies", n - 1))
        };
        out.push(finding(
            Severity::Warning,
            "duplicate-record",
            format!(
                "The {} record on {} with value {} is there {times}. Delete {extra}.",
                r.record_type,
                r.host,
                short(&r.value)
            ),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Diffing

/// What saving an edited zone must send to CMR.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneDiff {
    /// To add (no id).
    pub added: Vec<RecordDraft>,
    /// `(before, after)`, to update under the same id.
    pub changed: Vec<(RecordDraft, RecordDraft)>,
    /// To delete by id.
    pub removed: Vec<RecordDraft>,
}

impl ZoneDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// How many calls to CMR saving takes.
    pub fn len(&self) -> usize {
        self.added.len() + self.changed.len() + self.removed.len()
    }
}

/// Whether two records say the same thing, so an edit that only re-spells one (case, a
/// trailing dot, `010` for `10`) does not cost an update.
pub fn same_record(a: &RecordDraft, b: &RecordDraft) -> bool {
    let (a, b) = (normalise("", a), normalise("", b));
    a.host == b.host
        && a.record_type == b.record_type
        && a.priority == b.priority
        && value_key(&a.record_type, &a.value) == value_key(&b.record_type, &b.value)
}

/// Compares the edited zone (`after`) with the zone as loaded (`before`, every record with an
/// id). A draft whose id is not in `before` (or repeats one already seen) is added, with its id
/// cleared so nobody updates a record that is not there. Records of `before` without an id
/// cannot be deleted and are left out.
pub fn diff(before: &[RecordDraft], after: &[RecordDraft]) -> ZoneDiff {
    let by_id: HashMap<&str, &RecordDraft> = before
        .iter()
        .filter_map(|r| r.record_id.as_deref().map(|id| (id, r)))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = ZoneDiff::default();
    for a in after {
        match a.record_id.as_deref() {
            Some(id) if by_id.contains_key(id) && seen.insert(id) => {
                let b = by_id[id];
                if !same_record(b, a) {
                    out.changed.push((b.clone(), a.clone()));
                }
            }
            _ => out.added.push(RecordDraft {
                record_id: None,
                ..a.clone()
            }),
        }
    }
    out.removed = before
        .iter()
        .filter(|b| b.record_id.as_deref().is_some_and(|id| !seen.contains(id)))
        .cloned()
        .collect();
    out
}

// ---------------------------------------------------------------------------------------------
// Templates

/// A mail provider's standard records, applied in one click for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Template {
    GoogleWorkspace,
    Microsoft365,
}

impl Template {
    pub const ALL: [Template; 2] = [Template::GoogleWorkspace, Template::Microsoft365];

    /// Form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::GoogleWorkspace => "google-workspace",
            Template::Microsoft365 => "microsoft-365",
        }
    }

    pub fn parse(raw: &str) -> Option<Template> {
        let raw = raw.trim();
        Template::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Button text.
    pub fn label(self) -> &'static str {
        match self {
            Template::GoogleWorkspace => "Google Workspace",
            Template::Microsoft365 => "Microsoft 365",
        }
    }

    /// The template for CMR's `serviceProvider` (`GOOGLE`, `MICROSOFT`, any case).
    pub fn for_provider(provider: &str) -> Option<Template> {
        match provider.trim().to_ascii_uppercase().as_str() {
            "GOOGLE" => Some(Template::GoogleWorkspace),
            "MICROSOFT" => Some(Template::Microsoft365),
            _ => None,
        }
    }

    /// The provider's MX records for `domain`, as (priority, mail server).
    pub fn mx(self, domain: &str) -> Vec<(u16, String)> {
        match self {
            Template::GoogleWorkspace => vec![(1, "smtp.google.com".to_string())],
            Template::Microsoft365 => vec![(
                0,
                format!(
                    "{}.mail.protection.outlook.com",
                    zone_name(domain).replace('.', "-")
                ),
            )],
        }
    }

    /// The provider's SPF record.
    pub fn spf(self) -> &'static str {
        match self {
            Template::GoogleWorkspace => "v=spf1 include:_spf.google.com ~all",
            Template::Microsoft365 => "v=spf1 include:spf.protection.outlook.com -all",
        }
    }

    /// Whether an MX host belongs to this provider.
    pub fn accepts_mx(self, host: &str) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let under = |suffix: &str| {
            host.strip_suffix(suffix)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        };
        match self {
            Template::GoogleWorkspace => under("google.com") || under("googlemail.com"),
            Template::Microsoft365 => host.ends_with(".mail.protection.outlook.com"),
        }
    }
}

/// The DMARC record a template adds when the zone has none; CMR adds the report tags.
const TEMPLATE_DMARC: &str = "v=DMARC1; p=quarantine";

/// The zone with `template` applied, for review before saving: the MX records on `@` become
/// the provider's (replaced records keep their ids, so they show as changed; extra ones are
/// dropped), the SPF record on `@` is replaced (id kept) or added, and a DMARC record is added
/// when there is none. Records already right are left exactly as they were; new records go
/// at the end; everything else is untouched.
pub fn apply_template(domain: &str, zone: &[RecordDraft], template: Template) -> Vec<RecordDraft> {
    let name = zone_name(domain);
    let norm: Vec<RecordDraft> = zone.iter().map(|r| normalise(domain, r)).collect();
    let mut out: Vec<Option<RecordDraft>> = zone.iter().cloned().map(Some).collect();
    let mut appended = Vec::new();

    // MX: keep the ones already right, reuse the others' ids for the missing ones.
    let wanted = template.mx(&name);
    let mut placed = vec![false; wanted.len()];
    let mut reusable = Vec::new();
    for (i, r) in norm.iter().enumerate() {
        if r.record_type != RecordType::Mx || r.host != "@" {
            continue;
        }
        let same = wanted.iter().enumerate().position(|(w, (p, h))| {
            !placed[w] && r.priority == p.to_string() && value_key(&r.record_type, &r.value) == *h
        });
        match same {
            Some(w) => placed[w] = true,
            None => reusable.push(i),
        }
    }
    let mut reusable = reusable.into_iter();
    for ((priority, host), _) in wanted.iter().zip(&placed).filter(|(_, p)| !**p) {
        let record = RecordDraft::new("@", RecordType::Mx, host, &priority.to_string());
        match reusable.next() {
            Some(i) => out[i] = Some(keep_id(&zone[i], record)),
            None => appended.push(record),
        }
    }
    for i in reusable {
        out[i] = None;
    }

    // SPF: one record, the provider's.
    let spf: Vec<usize> = (0..norm.len())
        .filter(|&i| {
            norm[i].record_type == RecordType::Txt
                && norm[i].host == "@"
                && is_spf(&txt_text(&norm[i].value))
        })
        .collect();
    let record = RecordDraft::new("@", RecordType::Txt, template.spf(), "");
    match spf.split_first() {
        None => appended.push(record),
        Some((&first, rest)) => {
            if txt_text(&norm[first].value) != template.spf() {
                out[first] = Some(keep_id(&zone[first], record));
            }
            for &i in rest {
                out[i] = None;
            }
        }
    }

    // DMARC: added only when missing; an existing policy is the customer's choice.
    let has_dmarc = norm.iter().any(|r| {
        r.record_type == RecordType::Txt && r.host == "_dmarc" && is_dmarc(&txt_text(&r.value))
    });
    if !has_dmarc {
        appended.push(RecordDraft::new(
            "_dmarc",
            RecordType::Txt,
            TEMPLATE_DMARC,
            "",
        ));
    }

    out.into_iter().flatten().chain(appended).collect()
}

fn keep_id(old: &RecordDraft, new: RecordDraft) -> RecordDraft {
    RecordDraft {
        record_id: old.record_id.clone(),
        ..new
    }
}

// ---------------------------------------------------------------------------------------------
// The editor's page

/// A record as the DNS page lists it: the editable part and what CMR alone sets (the TTL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneRecord {
    pub draft: RecordDraft,
    pub ttl: Option<u64>,
}

/// A domain's DNS as CMR holds it now, with what the lint needs to know about the domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsZone {
    pub domain: String,
    pub customer_id: String,
    /// The domain's mail provider as CMR names it (`GOOGLE`, `MICROSOFT`), when known.
    pub provider: Option<String>,
    /// Whether the domain has mailboxes (it sends mail).
    pub sending: bool,
    pub records: Vec<ZoneRecord>,
    /// Records CMR keeps but does not serve; shown, not edited.
    pub disabled: Vec<ZoneRecord>,
    pub fetched_at: i64,
    pub can_edit: bool,
}

/// One change of a save, as staff read it ("Add MX @ 1 smtp.google.com").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub label: String,
    /// `Err` with the reason when CMR did not take it (or its answer was lost).
    pub result: Result<(), String>,
}

/// What a save did: each change sent (in order, one CMR call each) and what it did, and the
/// changes not sent because an earlier one failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SaveReport {
    pub sent: Vec<ChangeLine>,
    pub not_sent: Vec<String>,
}

/// "MX @ 10 mx.example.com", "TXT _dmarc \"v=DMARC1; …\"".
pub fn describe(r: &RecordDraft) -> String {
    let priority = if r.priority.is_empty() {
        String::new()
    } else {
        format!("{} ", r.priority)
    };
    format!(
        "{} {} {priority}{}",
        r.record_type.as_str(),
        r.host,
        r.value
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "example.com";

    fn rec(host: &str, t: &str, value: &str) -> RecordDraft {
        RecordDraft::new(host, RecordType::parse(t), value, "")
    }

    fn mx(host: &str, priority: &str, value: &str) -> RecordDraft {
        RecordDraft::new(host, RecordType::Mx, value, priority)
    }

    fn with_id(id: &str, r: RecordDraft) -> RecordDraft {
        RecordDraft {
            record_id: Some(id.to_string()),
            ..r
        }
    }

    fn ok(d: &RecordDraft) -> RecordDraft {
        check(D, d, &[]).unwrap_or_else(|p| panic!("{d:?} should pass: {p:?}"))
    }

    fn problems_with(d: &RecordDraft, others: &[RecordDraft]) -> Vec<Problem> {
        match check(D, d, others) {
            Ok(n) => panic!("{d:?} should be refused, got {n:?}"),
            Err(p) => p,
        }
    }

    fn problems(d: &RecordDraft) -> Vec<Problem> {
        problems_with(d, &[])
    }

    /// The single problem on `field`, so tests check both where and what.
    fn message(d: &RecordDraft, field: &str) -> String {
        let p = problems(d);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].field, field, "{p:?}");
        p[0].message.clone()
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    fn only(findings: &[Finding], code: &str) -> Finding {
        let hits: Vec<&Finding> = findings.iter().filter(|f| f.code == code).collect();
        assert_eq!(hits.len(), 1, "{findings:?}");
        hits[0].clone()
    }

    /// A zone with nothing to complain about for a Google domain.
    fn google_zone() -> Vec<RecordDraft> {
        vec![
            mx("@", "1", "smtp.google.com"),
            rec("@", "TXT", "v=spf1 include:_spf.google.com ~all"),
            rec("_dmarc", "TXT", "v=DMARC1; p=quarantine"),
        ]
    }

    // --- RecordDraft ---------------------------------------------------------------------

    #[test]
    fn a_listed_record_becomes_a_draft_with_its_id() {
        let r = DnsRecord {
            record_id: "R1".into(),
            host: "@".into(),
            value: "smtp.google.com".into(),
            record_type: RecordType::Mx,
            priority: "1".into(),
            ttl: Some(3600),
            ..DnsRecord::default()
        };
        let d = RecordDraft::from_record(&r);
        assert_eq!(d.record_id.as_deref(), Some("R1"));
        assert_eq!(
            (d.host.as_str(), d.value.as_str(), d.priority.as_str()),
            ("@", "smtp.google.com", "1")
        );
        assert_eq!(d.record_type, RecordType::Mx);
        let no_id = RecordDraft::from_record(&DnsRecord::default());
        assert_eq!(no_id.record_id, None);
    }

    // --- host ----------------------------------------------------------------------------

    #[test]
    fn hosts_are_normalised_to_relative_lower_case() {
        for (typed, want) in [
            ("", "@"),
            ("  ", "@"),
            (" @ ", "@"),
            ("example.com", "@"),
            ("Example.COM.", "@"),
            ("mail.example.com", "mail"),
            ("Mail.Example.com.", "mail"),
            (" MAIL ", "mail"),
            ("*.example.com", "*"),
            ("s1._domainkey.example.com", "s1._domainkey"),
            ("notexample.com", "notexample.com"),
        ] {
            assert_eq!(normalise_host(D, typed), want, "{typed:?}");
        }
        assert_eq!(normalise_host(" Example.com. ", "www.example.com"), "www");
    }

    #[test]
    fn check_returns_the_normalised_record() {
        let d = ok(&RecordDraft {
            excluded_dmarc_tags: vec![" RUF ".into(), "ruf".into(), "".into()],
            ..rec("_DMARC.example.com.", "txt", "  v=DMARC1; p=none  ")
        });
        assert_eq!(d.host, "_dmarc");
        assert_eq!(d.record_type, RecordType::Txt);
        assert_eq!(d.value, "v=DMARC1; p=none");
        assert_eq!(d.excluded_dmarc_tags, vec!["ruf".to_string()]);
    }

    #[test]
    fn valid_hosts_pass() {
        for host in [
            "@",
            "www",
            "mail",
            "_dmarc",
            "s1._domainkey",
            "a-b",
            "x1",
            "*",
            "*.mail",
            "_sip._tcp",
        ] {
            ok(&rec(host, "TXT", "hello"));
        }
    }

    #[test]
    fn malformed_hosts_are_refused() {
        for host in [
            "-a",
            "a-",
            "a..b",
            ".a",
            "a b",
            "a!b",
            "mail.*",
            "a*b",
            "mail.other.com.",
            "mail.",
            "é",
            // Names fold case in ASCII only (RFC 4343): anything else stays and is refused.
            "É",
        ] {
            let p = problems(&rec(host, "TXT", "hello"));
            assert_eq!(p.len(), 1, "{host:?}: {p:?}");
            assert_eq!(p[0].field, "host", "{host:?}");
        }
        assert!(message(&rec("a b", "TXT", "x"), "host").contains("space"));
        assert!(message(&rec("a!b", "TXT", "x"), "host").contains("\"!\""));
        assert!(message(&rec("mail.other.com.", "TXT", "x"), "host").contains("ends with a dot"));
        assert!(message(&rec("mail.*", "TXT", "x"), "host").contains("first part"));
        assert!(message(&rec("-a", "TXT", "x"), "host").contains("hyphen"));
    }

    #[test]
    fn a_host_label_may_have_63_characters_not_64() {
        ok(&rec(&"a".repeat(63), "TXT", "x"));
        ok(&rec(&format!("www.{}", "a".repeat(63)), "TXT", "x"));
        let m = message(&rec(&"a".repeat(64), "TXT", "x"), "host");
        assert!(m.contains("63") && m.contains("64"), "{m}");
    }

    #[test]
    fn the_full_name_may_have_253_characters_not_254() {
        // 63 + 1 + 63 + 1 + 63 + 1 + 49 = 241, plus ".example.com" (12) = 253.
        let base = format!("{a}.{a}.{a}", a = "a".repeat(63));
        ok(&rec(&format!("{base}.{}", "d".repeat(49)), "TXT", "x"));
        let m = message(
            &rec(&format!("{base}.{}", "d".repeat(50)), "TXT", "x"),
            "host",
        );
        assert!(m.contains("254"), "{m}");
    }

    // --- type ----------------------------------------------------------------------------

    #[test]
    fn unknown_record_types_are_refused() {
        let m = message(&rec("@", "SRV", "x"), "record_type");
        assert!(m.contains("\"SRV\""), "{m}");
        let m = message(&rec("@", "", "x"), "record_type");
        assert!(m.starts_with("Choose a record type"), "{m}");
        assert_eq!(
            ok(&rec("@", "aaaa", "2001:db8::1")).record_type,
            RecordType::Aaaa
        );
    }

    // --- values --------------------------------------------------------------------------

    #[test]
    fn empty_values_are_refused_for_every_type() {
        for t in ["A", "AAAA", "CNAME", "MX", "TXT", "NS"] {
            let d = RecordDraft::new("www", RecordType::parse(t), "   ", "10");
            let m = message(&d, "value");
            assert!(m.starts_with("Enter"), "{t}: {m}");
        }
    }

    #[test]
    fn an_a_record_takes_an_ipv4_address() {
        assert_eq!(ok(&rec("@", "A", " 192.0.2.10 ")).value, "192.0.2.10");
        let m = message(&rec("@", "A", "2001:db8::1"), "value");
        assert!(m.contains("IPv6 address: use an AAAA record"), "{m}");
        let m = message(&rec("www", "A", "ghs.googlehosted.com"), "value");
        assert!(m.contains("CNAME"), "{m}");
        for bad in ["256.1.1.1", "1.2.3", "192.0.2.10.5"] {
            let m = message(&rec("@", "A", bad), "value");
            assert!(m.contains("not an IPv4 address"), "{bad}: {m}");
        }
    }

    #[test]
    fn an_aaaa_record_takes_an_ipv6_address() {
        ok(&rec("@", "AAAA", "2001:db8::1"));
        ok(&rec("@", "AAAA", "::1"));
        let m = message(&rec("@", "AAAA", "192.0.2.10"), "value");
        assert!(m.contains("IPv4 address: use an A record"), "{m}");
        let m = message(&rec("@", "AAAA", "2001:db8::g"), "value");
        assert!(m.contains("not an IPv6 address"), "{m}");
    }

    #[test]
    fn a_cname_points_to_a_full_name() {
        ok(&rec("www", "CNAME", "ghs.googlehosted.com"));
        ok(&rec("www", "CNAME", "ghs.googlehosted.com."));
        ok(&rec("em", "CNAME", "u123.wl.sendgrid.net"));
        let m = message(&rec("www", "CNAME", "192.0.2.10"), "value");
        assert!(m.contains("A record"), "{m}");
        let m = message(&rec("www", "CNAME", "shop"), "value");
        assert!(m.contains("shop.example.com"), "{m}");
    }

    #[test]
    fn a_cname_cannot_be_at_the_apex() {
        let m = message(&rec("@", "CNAME", "other.example.net"), "host");
        assert!(m.contains("cannot be on @"), "{m}");
        let m = message(&rec("example.com", "CNAME", "other.example.net"), "host");
        assert!(m.contains("cannot be on @"), "{m}");
    }

    #[test]
    fn a_cname_cannot_share_its_host() {
        let zone = [
            with_id("R1", rec("WWW", "TXT", "hello")),
            with_id("R2", rec("shop", "CNAME", "shops.example.net")),
            with_id("R3", rec("@", "A", "192.0.2.10")),
        ];
        // A CNAME where a TXT is.
        let p = problems_with(&rec("www", "CNAME", "x.example.net"), &zone);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].field, "host");
        assert!(p[0].message.contains("already has a TXT record"), "{p:?}");
        // A second CNAME.
        let p = problems_with(&rec("shop", "CNAME", "y.example.net"), &zone);
        assert!(p[0].message.contains("already has a CNAME"), "{p:?}");
        // Anything else where a CNAME is.
        let p = problems_with(&rec("shop.example.com", "TXT", "hello"), &zone);
        assert_eq!(p[0].field, "host");
        assert!(p[0].message.contains("has a CNAME record"), "{p:?}");
        // Other hosts are fine, and a record is not compared with its own old version.
        check(D, &rec("blog", "CNAME", "x.example.net"), &zone).unwrap();
        let edited = with_id("R2", rec("shop", "CNAME", "z.example.net"));
        check(D, &edited, &zone).unwrap();
    }

    #[test]
    fn mx_priority_is_a_whole_number_from_0_to_65535() {
        assert_eq!(ok(&mx("@", "0", "smtp.google.com")).priority, "0");
        assert_eq!(ok(&mx("@", "65535", "smtp.google.com")).priority, "65535");
        assert_eq!(ok(&mx("@", " 010 ", "smtp.google.com")).priority, "10");
        for bad in ["65536", "-1", "1.5", "ten"] {
            let m = message(&mx("@", bad, "smtp.google.com"), "priority");
            assert!(m.contains("0 to 65535") && m.contains(bad), "{bad}: {m}");
        }
        let m = message(&mx("@", " ", "smtp.google.com"), "priority");
        assert!(m.starts_with("Enter the MX priority"), "{m}");
    }

    #[test]
    fn an_mx_record_names_a_mail_server() {
        ok(&mx("@", "10", "mail.example.net."));
        let m = message(&mx("@", "10", "192.0.2.10"), "value");
        assert!(m.contains("not an IP address"), "{m}");
        let m = message(&mx("@", "10", "10 mail.example.net"), "value");
        assert!(m.contains("priority field"), "{m}");
        let m = message(&mx("@", "10", "localhost"), "value");
        assert!(m.contains("not a full name"), "{m}");
    }

    #[test]
    fn an_ns_record_names_a_name_server() {
        ok(&rec("sub", "NS", "ns1.example.net"));
        let m = message(&rec("sub", "NS", "ns1"), "value");
        assert!(m.contains("ns1.example.com"), "{m}");
        let m = message(&rec("sub", "NS", "2001:db8::53"), "value");
        assert!(m.contains("not an IP address"), "{m}");
    }

    #[test]
    fn target_names_follow_the_label_rules() {
        ok(&rec("www", "CNAME", "_x.example.net"));
        ok(&rec(
            "www",
            "CNAME",
            &format!("{}.example.net", "a".repeat(63)),
        ));
        let cases = [
            ("@", "full name instead of @"),
            ("http://example.net/x", "without http://"),
            ("a..example.net", "empty part"),
            ("-a.example.net", "hyphen"),
            ("a!.example.net", "\"!\""),
        ];
        for (bad, says) in cases {
            let m = message(&rec("www", "CNAME", bad), "value");
            assert!(m.contains(says), "{bad}: {m}");
        }
        let m = message(
            &rec("www", "CNAME", &format!("{}.example.net", "a".repeat(64))),
            "value",
        );
        assert!(m.contains("63"), "{m}");
        let long = format!("{a}.{a}.{a}.{a}.net", a = "a".repeat(62)); // 4 * 62 + 3 + 4 = 255
        let m = message(&rec("www", "CNAME", &long), "value");
        assert!(m.contains("253"), "{m}");
    }

    #[test]
    fn values_other_than_txt_have_no_spaces() {
        for (t, v) in [
            ("A", "192.0.2. 10"),
            ("AAAA", "2001:db8:: 1"),
            ("CNAME", "x.example .net"),
            ("NS", "ns1 .example.net"),
            ("MX", "mail example.net"),
        ] {
            let m = message(
                &RecordDraft::new("www", RecordType::parse(t), v, "10"),
                "value",
            );
            assert!(m.contains("Remove the spaces"), "{t}: {m}");
        }
        ok(&rec("@", "TXT", "a b c"));
    }

    #[test]
    fn txt_values_are_printable_ascii() {
        ok(&rec("@", "TXT", "google-site-verification=abc_DEF-123"));
        let cases = [
            ("a\nb", "line breaks"),
            ("a\tb", "tab"),
            ("a\u{7}b", "control character"),
            ("café", "\"é\""),
            ("\u{201C}v=spf1 -all\u{201D}", "curly quote"),
        ];
        for (bad, says) in cases {
            let m = message(&rec("@", "TXT", bad), "value");
            assert!(m.contains(says), "{bad:?}: {m}");
        }
    }

    #[test]
    fn txt_values_may_have_2048_characters_not_2049() {
        ok(&rec("@", "TXT", &"a".repeat(TXT_MAX_CHARS)));
        let m = message(&rec("@", "TXT", &"a".repeat(TXT_MAX_CHARS + 1)), "value");
        assert!(m.contains("2049"), "{m}");
    }

    #[test]
    fn txt_quotes_pair_up_and_quoted_parts_are_at_most_255() {
        ok(&rec("@", "TXT", &"a".repeat(300))); // CMR splits unquoted text
        ok(&rec("@", "TXT", &format!("\"{}\"", "a".repeat(255))));
        ok(&rec(
            "@",
            "TXT",
            &format!("\"{a}\" \"{a}\"", a = "a".repeat(255)),
        ));
        ok(&rec("@", "TXT", r#""say \"hi\"""#));
        let m = message(
            &rec("@", "TXT", &format!("\"{}\"", "a".repeat(256))),
            "value",
        );
        assert!(m.contains("part 1 has 256"), "{m}");
        let m = message(
            &rec("@", "TXT", &format!("\"ok\" \"{}\"", "a".repeat(256))),
            "value",
        );
        assert!(m.contains("part 2 has 256"), "{m}");
        for bad in ["\"v=spf1 -all", "\"a\" \"b", r#""a\""#] {
            let m = message(&rec("@", "TXT", bad), "value");
            assert!(m.contains("do not pair up"), "{bad}: {m}");
        }
    }

    #[test]
    fn a_priority_on_another_type_is_cleared() {
        let d = ok(&RecordDraft::new("@", RecordType::Txt, "hello", "10"));
        assert_eq!(d.priority, "");
        let d = ok(&RecordDraft::new("@", RecordType::A, "192.0.2.10", "junk"));
        assert_eq!(d.priority, "");
    }

    #[test]
    fn excluded_dmarc_tags_only_on_a_dmarc_txt_record() {
        let tags = |d: RecordDraft, t: &[&str]| RecordDraft {
            excluded_dmarc_tags: t.iter().map(|s| s.to_string()).collect(),
            ..d
        };
        ok(&tags(
            rec("_dmarc", "TXT", "v=DMARC1; p=none"),
            &["RUA", "ruf"],
        ));
        ok(&tags(
            rec("_dmarc.sub", "TXT", "v=DMARC1; p=none"),
            &DMARC_AUTO_TAGS,
        ));
        for d in [
            tags(rec("@", "TXT", "v=DMARC1; p=none"), &["ruf"]),
            tags(rec("_dmarcx", "TXT", "v=DMARC1; p=none"), &["ruf"]),
            tags(mx("_dmarc", "10", "mail.example.net"), &["ruf"]),
        ] {
            let m = message(&d, "excluded_dmarc_tags");
            assert!(m.contains("only apply to a TXT record on _dmarc"), "{m}");
        }
        let m = message(
            &tags(
                rec("_dmarc", "TXT", "v=DMARC1; p=none"),
                &["ruf", "p", "foo"],
            ),
            "excluded_dmarc_tags",
        );
        assert!(m.contains("remove \"p\" and \"foo\""), "{m}");
    }

    #[test]
    fn an_exact_copy_of_a_record_is_refused() {
        let zone = [with_id("R1", mx("@", "1", "smtp.google.com"))];
        let p = problems_with(&mx("@", "01", "SMTP.google.com."), &zone);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].message, "@ already has this MX record.");
        check(D, &mx("@", "5", "smtp.google.com"), &zone).unwrap();
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let p = problems(&RecordDraft {
            excluded_dmarc_tags: vec!["ruf".into()],
            ..mx("bad host", "x", "192.0.2.1")
        });
        let fields: Vec<&str> = p.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["host", "priority", "value", "excluded_dmarc_tags"]);
    }

    // --- lint: SPF -----------------------------------------------------------------------

    #[test]
    fn a_missing_spf_record_warns_a_sending_domain_and_informs_otherwise() {
        let zone = [
            mx("@", "1", "smtp.google.com"),
            rec("_dmarc", "TXT", "v=DMARC1; p=reject"),
        ];
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "spf-missing");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message.contains("v=spf1 include:_spf.google.com ~all"),
            "{f:?}"
        );
        let f = only(&lint(D, Some("GOOGLE"), false, &zone), "spf-missing");
        assert_eq!(f.severity, Severity::Info);
        // SPF on another host does not count.
        let mut zone = zone.to_vec();
        zone.push(rec("mail", "TXT", "v=spf1 -all"));
        only(&lint(D, None, true, &zone), "spf-missing");
    }

    #[test]
    fn spf_is_recognised_quoted_and_in_any_case() {
        for v in [
            "v=spf1 -all",
            "V=SPF1 include:_spf.google.com ~all",
            "\"v=spf1 -all\"",
            "\"v=spf1 \" \"-all\"",
            "v=spf1",
        ] {
            let mut zone = google_zone();
            zone[1].value = v.to_string();
            assert!(lint(D, Some("GOOGLE"), true, &zone).is_empty(), "{v}");
        }
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("google-site-verification=x"));
    }

    #[test]
    fn two_spf_records_are_an_error() {
        let mut zone = google_zone();
        zone.push(rec("@", "TXT", "v=spf1 include:mailgun.org ~all"));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "spf-multiple");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "Two SPF records on @: receivers reject both. Merge them into one."
        );
    }

    #[test]
    fn spf_lookups_count_the_top_level_terms() {
        assert_eq!(
            spf_lookups("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 all"),
            0
        );
        assert_eq!(
            spf_lookups(
                "v=spf1 a mx ptr include:x.net exists:%{i}.x.net redirect=y.net -a:b.net ~mx:c.net \
                 ?include:d.net +a/24 mx/24 ptr:e.net -all"
            ),
            12
        );
        assert_eq!(spf_lookups("v=spf1 INCLUDE:X.NET A MX"), 3);
        assert_eq!(spf_lookups("v=spf1 all aaa mxx include"), 0);
    }

    #[test]
    fn ten_spf_lookups_are_fine_and_eleven_an_error() {
        let spf = |n: usize| {
            let terms: Vec<String> = (0..n)
                .map(|i| format!("include:s{i}.example.net"))
                .collect();
            format!("v=spf1 {} ~all", terms.join(" "))
        };
        let mut zone = google_zone();
        zone[1].value = spf(10);
        assert!(lint(D, Some("GOOGLE"), true, &zone).is_empty());
        zone[1].value = spf(11);
        let f = only(
            &lint(D, Some("GOOGLE"), true, &zone),
            "spf-too-many-lookups",
        );
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("at least 11"), "{f:?}");
        assert!(f.message.contains("not counted"), "{f:?}");
    }

    // --- lint: DMARC ---------------------------------------------------------------------

    #[test]
    fn a_missing_dmarc_record_is_a_warning() {
        let mut zone = google_zone();
        zone[2] = rec("_dmarc", "TXT", "hello"); // not DMARC
        zone.push(rec("@", "TXT", "v=DMARC1; p=reject")); // wrong host
        for sending in [true, false] {
            let f = only(&lint(D, Some("GOOGLE"), sending, &zone), "dmarc-missing");
            assert_eq!(f.severity, Severity::Warning);
            assert!(f.message.contains("v=DMARC1; p=quarantine"), "{f:?}");
        }
    }

    #[test]
    fn dmarc_p_none_warns_a_sending_domain() {
        let mut zone = google_zone();
        zone[2].value = "v=DMARC1; P = None; rua=mailto:x@example.com".into();
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "dmarc-policy-none");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("p=quarantine"), "{f:?}");
        let findings = lint(D, Some("GOOGLE"), false, &zone);
        assert!(!codes(&findings).contains(&"dmarc-policy-none"));
        zone[2].value = "\"v=DMARC1; p=reject\"".into();
        assert!(lint(D, Some("GOOGLE"), true, &zone).is_empty());
    }

    #[test]
    fn several_dmarc_records_are_an_error() {
        let mut zone = google_zone();
        zone.push(rec("_dmarc", "TXT", "v=DMARC1; p=none"));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "dmarc-multiple");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.starts_with("Two DMARC records on _dmarc"),
            "{f:?}"
        );
        assert!(!codes(&lint(D, Some("GOOGLE"), true, &zone)).contains(&"dmarc-policy-none"));
    }

    // --- lint: MX ------------------------------------------------------------------------

    #[test]
    fn google_mx_hosts_are_recognised() {
        for host in [
            "smtp.google.com",
            "ASPMX.L.GOOGLE.COM.",
            "alt1.aspmx.l.google.com",
            "aspmx2.googlemail.com",
        ] {
            let mut zone = google_zone();
            zone[0].value = host.to_string();
            assert!(lint(D, Some("GOOGLE"), true, &zone).is_empty(), "{host}");
        }
        assert!(!Template::GoogleWorkspace.accepts_mx("notgoogle.com"));
        assert!(!Template::GoogleWorkspace.accepts_mx("google.com.evil.net"));
    }

    #[test]
    fn mx_records_not_matching_the_provider_are_errors() {
        let mut zone = google_zone();
        zone[0].value = "mx.zoho.com".into();
        let f = only(&lint(D, Some("google"), true, &zone), "mx-wrong-provider");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.contains("mx.zoho.com") && f.message.contains("template"),
            "{f:?}"
        );
        // An unknown provider is not checked.
        assert!(lint(D, None, true, &zone).is_empty());
        assert!(lint(D, Some("ZOHO"), true, &zone).is_empty());
    }

    #[test]
    fn one_wrong_mx_beside_the_providers_is_a_warning() {
        let mut zone = google_zone();
        zone.push(mx("@", "20", "backup.example.net."));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "mx-mixed");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message
                .contains("backup.example.net is not Google Workspace's"),
            "{f:?}"
        );
    }

    #[test]
    fn no_mx_for_a_known_provider_is_an_error() {
        let zone = vec![
            mx("mail", "10", "smtp.google.com"), // not on @
            rec("@", "TXT", "v=spf1 include:spf.protection.outlook.com -all"),
            rec("_dmarc", "TXT", "v=DMARC1; p=quarantine"),
        ];
        let f = only(&lint(D, Some("MICROSOFT"), true, &zone), "mx-missing");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message
                .contains("example-com.mail.protection.outlook.com"),
            "{f:?}"
        );
        assert!(lint(D, None, true, &zone).is_empty());
    }

    #[test]
    fn microsoft_mx_hosts_are_recognised() {
        let zone = apply_template(D, &[], Template::Microsoft365);
        assert!(lint(D, Some("MICROSOFT"), true, &zone).is_empty());
        let f = lint(D, Some("MICROSOFT"), true, &google_zone());
        assert_eq!(codes(&f), ["mx-wrong-provider"]);
    }

    // --- lint: duplicates and CNAME --------------------------------------------------------

    #[test]
    fn duplicate_records_are_named() {
        let mut zone = google_zone();
        zone.push(mx("@", "1", "SMTP.Google.com."));
        zone.push(rec("@", "A", "192.0.2.10"));
        zone.push(rec("example.com", "A", "192.0.2.10"));
        zone.push(rec("@", "A", "192.0.2.10"));
        zone.push(mx("@", "5", "smtp.google.com")); // another priority: not a copy
        let findings = lint(D, Some("GOOGLE"), true, &zone);
        let dups: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.code == "duplicate-record")
            .collect();
        assert_eq!(dups.len(), 2, "{findings:?}");
        assert!(dups.iter().all(|f| f.severity == Severity::Warning));
        assert_eq!(
            dups[0].message,
            "The MX record on @ with value smtp.google.com is there twice. Delete the extra copy."
        );
        assert!(dups[1].message.contains("3 times"), "{dups:?}");
        assert!(dups[1].message.contains("2 extra copies"), "{dups:?}");
    }

    #[test]
    fn a_cname_beside_other_records_is_an_error() {
        let mut zone = google_zone();
        zone.push(rec("www", "CNAME", "ghs.googlehosted.com"));
        assert!(lint(D, Some("GOOGLE"), true, &zone).is_empty());
        zone.push(rec("WWW", "TXT", "hello"));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "cname-conflict");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message
                .starts_with("www has a CNAME and also TXT records"),
            "{f:?}"
        );
        zone.pop();
        zone.push(rec("www", "CNAME", "other.example.net"));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "cname-conflict");
        assert!(f.message.contains("2 CNAME records"), "{f:?}");
    }

    #[test]
    fn a_cname_at_the_apex_is_an_error() {
        let mut zone = google_zone();
        zone.push(rec("@", "CNAME", "other.example.net"));
        let f = only(&lint(D, Some("GOOGLE"), true, &zone), "cname-apex");
        assert_eq!(f.severity, Severity::Error);
        assert!(!codes(&lint(D, Some("GOOGLE"), true, &zone)).contains(&"cname-conflict"));
    }

    #[test]
    fn findings_are_sorted_errors_first() {
        let zone = vec![
            rec("_dmarc", "TXT", "v=DMARC1; p=none"),
            rec("@", "A", "192.0.2.10"),
            rec("@", "A", "192.0.2.10"),
        ];
        let findings = lint(D, Some("GOOGLE"), false, &zone);
        assert_eq!(
            codes(&findings),
            ["mx-missing", "duplicate-record", "spf-missing"]
        );
        let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
        assert_eq!(
            severities,
            [Severity::Error, Severity::Warning, Severity::Info]
        );
    }

    #[test]
    fn problems_and_findings_survive_serde() {
        let p = problems(&rec("a b", "TXT", "x"));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Problem>>(&json).unwrap(), p);
        let f = lint(D, None, true, &[]);
        assert!(!f.is_empty());
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Finding>>(&json).unwrap(), f);
        let bad = r#"{"severity":"Error","code":"no-such-code","message":"x"}"#;
        assert!(serde_json::from_str::<Finding>(bad).is_err());
    }

    // --- diff ------------------------------------------------------------------------------

    #[test]
    fn diff_sorts_edits_into_added_changed_and_removed() {
        let before = vec![
            with_id("R1", mx("@", "1", "smtp.google.com")),
            with_id("R2", rec("@", "TXT", "v=spf1 -all")),
            with_id("R3", rec("www", "A", "192.0.2.10")),
            with_id("R4", rec("old", "A", "192.0.2.11")),
        ];
        let after = vec![
            // Only re-spelled: unchanged.
            with_id("R1", mx(" @ ", "01", "SMTP.google.com.")),
            with_id("R2", rec("@", "txt", " v=spf1 -all ")),
            // Edited.
            with_id("R3", rec("www", "A", "192.0.2.20")),
            // New.
            rec("shop", "CNAME", "shops.example.net"),
        ];
        let d = diff(&before, &after);
        assert_eq!(d.added, vec![rec("shop", "CNAME", "shops.example.net")]);
        assert_eq!(d.changed, vec![(before[2].clone(), after[2].clone())]);
        assert_eq!(d.removed, vec![before[3].clone()]);
        assert_eq!(d.len(), 3);
        assert!(!d.is_empty());
        assert!(diff(&before, &before).is_empty());
        assert_eq!(diff(&before, &before).len(), 0);
    }

    #[test]
    fn diff_sees_every_edited_field() {
        let before = with_id("R1", mx("@", "1", "smtp.google.com"));
        for after in [
            with_id("R1", mx("mail", "1", "smtp.google.com")),
            with_id("R1", mx("@", "2", "smtp.google.com")),
            with_id("R1", mx("@", "1", "smtp2.google.com")),
            with_id("R1", rec("@", "CNAME", "smtp.google.com")),
        ] {
            let d = diff(std::slice::from_ref(&before), std::slice::from_ref(&after));
            assert_eq!(d.changed.len(), 1, "{after:?}");
        }
        // TXT is compared exactly: DKIM keys are case-sensitive.
        let before = with_id("R2", rec("@", "TXT", "p=abc"));
        let after = with_id("R2", rec("@", "TXT", "p=ABC"));
        assert_eq!(diff(&[before], &[after]).changed.len(), 1);
    }

    #[test]
    fn a_draft_with_an_unknown_or_repeated_id_is_added_without_it() {
        let before = vec![with_id("R1", rec("@", "A", "192.0.2.10"))];
        let after = vec![
            with_id("R1", rec("@", "A", "192.0.2.10")),
            with_id("R1", rec("www", "A", "192.0.2.10")),
            with_id("GONE", rec("x", "A", "192.0.2.10")),
        ];
        let d = diff(&before, &after);
        assert!(d.changed.is_empty() && d.removed.is_empty());
        assert_eq!(
            d.added,
            vec![rec("www", "A", "192.0.2.10"), rec("x", "A", "192.0.2.10")]
        );
    }

    // --- templates ---------------------------------------------------------------------------

    #[test]
    fn templates_have_stable_names() {
        for t in Template::ALL {
            assert_eq!(Template::parse(t.as_str()), Some(t));
        }
        assert_eq!(Template::parse("nope"), None);
        assert_eq!(Template::GoogleWorkspace.label(), "Google Workspace");
        assert_eq!(Template::Microsoft365.label(), "Microsoft 365");
        assert_eq!(
            Template::for_provider("GOOGLE"),
            Some(Template::GoogleWorkspace)
        );
        assert_eq!(
            Template::for_provider(" microsoft "),
            Some(Template::Microsoft365)
        );
        assert_eq!(Template::for_provider("ZOHO"), None);
    }

    #[test]
    fn the_google_template_replaces_mx_and_spf_keeping_ids() {
        let before = vec![
            with_id("M1", mx("@", "10", "mx1.oldhost.net")),
            with_id("A1", rec("@", "A", "192.0.2.10")),
            with_id("M2", mx("example.com", "20", "mx2.oldhost.net")),
            with_id("S1", rec("@", "TXT", "v=spf1 include:oldhost.net ~all")),
            with_id("T1", rec("@", "TXT", "google-site-verification=abc")),
            with_id("M3", mx("mail", "10", "mx1.oldhost.net")), // not on @: untouched
        ];
        let after = apply_template(D, &before, Template::GoogleWorkspace);
        assert_eq!(
            after,
            vec![
                with_id("M1", mx("@", "1", "smtp.google.com")),
                before[1].clone(),
                with_id("S1", rec("@", "TXT", "v=spf1 include:_spf.google.com ~all")),
                before[4].clone(),
                before[5].clone(),
                rec("_dmarc", "TXT", "v=DMARC1; p=quarantine"),
            ]
        );
        let d = diff(&before, &after);
        let changed: Vec<Option<&str>> = d
            .changed
            .iter()
            .map(|(b, a)| {
                assert_eq!(b.record_id, a.record_id);
                a.record_id.as_deref()
            })
            .collect();
        assert_eq!(changed, [Some("M1"), Some("S1")]);
        assert_eq!(d.removed, vec![before[2].clone()]);
        assert_eq!(d.added.len(), 1);
        // Every record it writes passes the checks, and the result lints clean.
        for r in &after {
            check(D, r, &[]).unwrap();
        }
        assert!(lint(D, Some("GOOGLE"), true, &after).is_empty());
    }

    #[test]
    fn the_microsoft_template_adds_what_is_missing_and_keeps_dmarc() {
        let before = vec![
            with_id("M1", mx("@", "1", "smtp.google.com")),
            with_id("S1", rec("@", "TXT", "v=spf1 include:_spf.google.com ~all")),
            with_id("S2", rec("@", "TXT", "v=spf1 include:other.net ~all")),
            with_id("D1", rec("_dmarc", "TXT", "v=DMARC1; p=reject")),
        ];
        let after = apply_template("Sub.Example.CO.uk", &before, Template::Microsoft365);
        assert_eq!(
            after,
            vec![
                with_id(
                    "M1",
                    mx("@", "0", "sub-example-co-uk.mail.protection.outlook.com")
                ),
                with_id(
                    "S1",
                    rec("@", "TXT", "v=spf1 include:spf.protection.outlook.com -all")
                ),
                before[3].clone(),
            ]
        );
        let d = diff(&before, &after);
        assert_eq!((d.added.len(), d.changed.len(), d.removed.len()), (0, 2, 1));

        let fresh = apply_template(D, &[], Template::Microsoft365);
        assert_eq!(
            fresh,
            vec![
                mx("@", "0", "example-com.mail.protection.outlook.com"),
                rec("@", "TXT", "v=spf1 include:spf.protection.outlook.com -all"),
                rec("_dmarc", "TXT", "v=DMARC1; p=quarantine"),
            ]
        );
    }

    #[test]
    fn applying_a_template_twice_changes_nothing() {
        let before: Vec<RecordDraft> = apply_template(D, &[], Template::GoogleWorkspace)
            .into_iter()
            .enumerate()
            .map(|(i, r)| with_id(&format!("R{i}"), r))
            .collect();
        let again = apply_template(D, &before, Template::GoogleWorkspace);
        assert_eq!(again, before);
        assert!(diff(&before, &again).is_empty());
    }
}
