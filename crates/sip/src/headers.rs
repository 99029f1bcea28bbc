//! The ordered header list of a message, with compact-form expansion and case-insensitive lookup
//! (RFC 3261 §7.3, §20).

use crate::scan::split_commas;
use crate::Defect;

/// Full names of the headers we know, in their conventional spelling.
const KNOWN: &[&str] = &[
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Content-Encoding",
    "Content-Disposition",
    "Require",
    "Proxy-Require",
    "Supported",
    "Unsupported",
    "Allow",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Route",
    "Record-Route",
    "User-Agent",
    "Server",
    "Expires",
    "Subject",
    "Event",
    "Allow-Events",
    "Refer-To",
    "Referred-By",
    "Session-Expires",
    "Date",
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Retry-After",
    "Warning",
    "Reason",
    "RSeq",
    "RAck",
    "Min-Expires",
    "Timestamp",
    "Organization",
    "Identity",
];

/// Expands a compact form (RFC 3261 §7.3.3 and later RFCs) and normalises the spelling of
/// known names; unknown names are kept as written.
pub fn canonical_name(name: &str) -> String {
    let full = match name {
        "i" | "I" => "Call-ID",
        "m" | "M" => "Contact",
        "v" | "V" => "Via",
        "f" | "F" => "From",
        "t" | "T" => "To",
        "l" | "L" => "Content-Length",
        "c" | "C" => "Content-Type",
        "k" | "K" => "Supported",
        "s" | "S" => "Subject",
        "e" | "E" => "Content-Encoding",
        "o" | "O" => "Event",
        "u" | "U" => "Allow-Events",
        "r" | "R" => "Refer-To",
        "b" | "B" => "Referred-By",
        "x" | "X" => "Session-Expires",
        "y" | "Y" => "Identity",
        _ => match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
            Some(k) => k,
            None => return name.to_string(),
        },
    };
    full.to_string()
}

/// Headers whose values may be comma-separated lists.
fn is_list_header(name: &str) -> bool {
    [
        "Via",
        "Contact",
        "Route",
        "Record-Route",
        "Require",
        "Proxy-Require",
        "Supported",
        "Unsupported",
        "Allow",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Allow-Events",
        "Content-Encoding",
        "Warning",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

/// An ordered list of `(name, value)` pairs. Names are stored in canonical form (see
/// [`canonical_name`]); values are stored unfolded and trimmed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Appends a header (the name is canonicalised).
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.entries.push((canonical_name(name), value.into()));
    }

    /// Replaces every header of this name with a single one, at the first one's place.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let value = value.into();
        match self
            .entries
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some(i) => {
                self.entries[i].1 = value;
                let mut seen = 0;
                self.entries.retain(|(n, _)| {
                    if n.eq_ignore_ascii_case(&name) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.entries.push((name, value)),
        }
    }

    /// Removes every header of this name.
    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
    }

    /// The first value of a header.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every header line's value for this name, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    /// How many header lines carry this name.
    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    /// Every value of a header, list headers split at top-level commas (empty items dropped for
    /// option-tag style lists, kept for Via/Contact so their parsers can refuse them).
    pub fn values(&self, name: &str) -> Result<Vec<&str>, Defect> {
        let mut out = Vec::new();
        let list = is_list_header(name);
        for v in self.get_all(name) {
            if list {
                out.extend(split_commas(v)?);
            } else {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Iterates over `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no header at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_odd_case_names_are_canonicalised() {
        assert_eq!(canonical_name("i"), "Call-ID");
        assert_eq!(canonical_name("vIA"), "Via");
        assert_eq!(canonical_name("MaX-fOrWaRdS"), "Max-Forwards");
        assert_eq!(canonical_name("X-Custom"), "X-Custom");
    }

    #[test]
    fn lookup_is_case_insensitive_and_ordered() {
        let mut h = Headers::new();
        h.push("v", "SIP/2.0/UDP a");
        h.push("Via", "SIP/2.0/UDP b, SIP/2.0/UDP c");
        h.push("cseq", "1 INVITE");
        assert_eq!(h.get("CSEQ"), Some("1 INVITE"));
        assert_eq!(h.count("via"), 2);
        assert_eq!(
            h.values("Via").unwrap(),
            vec!["SIP/2.0/UDP a", "SIP/2.0/UDP b", "SIP/2.0/UDP c"]
        );
        h.set("Via", "SIP/2.0/UDP z");
        assert_eq!(h.values("Via").unwrap(), vec!["SIP/2.0/UDP z"]);
        assert_eq!(h.iter().next(), Some(("Via", "SIP/2.0/UDP z")));
    }
}
