//! The Warning header (RFC 3261 §20.43): a three-digit code and a sentence that tell the
//! caller's phone, and whoever reads its log, why a request was refused.

use crate::SipError;

/// One Warning value: `code agent "text"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    code: u16,
    text: String,
}

impl Warning {
    /// `302`: none of the offered transport protocols (`RTP/AVP`, `RTP/SAVP`) is available.
    pub const INCOMPATIBLE_TRANSPORT: u16 = 302;
    /// `305`: none of the offered media formats (codecs) is available.
    pub const INCOMPATIBLE_MEDIA_FORMAT: u16 = 305;
    /// `399`: anything else.
    pub const MISCELLANEOUS: u16 = 399;

    /// A warning; `code` must be a three-digit 3xx warn-code.
    pub fn new(code: u16, text: impl Into<String>) -> Result<Warning, SipError> {
        if !(300..=399).contains(&code) {
            return Err(SipError::InvalidWarning { code });
        }
        Ok(Warning {
            code,
            text: text.into(),
        })
    }

    /// `302 Incompatible transport protocol`, with `text` saying which one we take.
    pub fn incompatible_transport(text: impl Into<String>) -> Warning {
        Warning::known(Warning::INCOMPATIBLE_TRANSPORT, text)
    }

    /// `305 Incompatible media format`, with `text` saying which formats we take.
    pub fn incompatible_media_format(text: impl Into<String>) -> Warning {
        Warning::known(Warning::INCOMPATIBLE_MEDIA_FORMAT, text)
    }

    /// `399 Miscellaneous warning`.
    pub fn miscellaneous(text: impl Into<String>) -> Warning {
        Warning::known(Warning::MISCELLANEOUS, text)
    }

    fn known(code: u16, text: impl Into<String>) -> Warning {
        Warning {
            code,
            text: text.into(),
        }
    }

    /// The warn-code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The header value with `agent` (our host:port) as warn-agent; the text is a quoted
    /// string, with quotes and backslashes escaped and control characters left out.
    pub fn value(&self, agent: &str) -> String {
        let mut quoted = String::with_capacity(self.text.len() + 2);
        quoted.push('"');
        for c in self.text.chars().filter(|c| !c.is_control()) {
            if matches!(c, '"' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        format!("{} {agent} {quoted}", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_printed_as_code_agent_and_quoted_text() {
        let w = Warning::new(Warning::INCOMPATIBLE_TRANSPORT, "SRTP required").unwrap();
        assert_eq!(
            w.value("192.0.2.10:5060"),
            "302 192.0.2.10:5060 \"SRTP required\""
        );
        let odd = Warning::new(399, "say \"hi\"\r\n\\ bye").unwrap();
        assert_eq!(odd.value("h"), "399 h \"say \\\"hi\\\"\\\\ bye\"");
    }

    #[test]
    fn a_code_outside_3xx_is_refused() {
        assert!(matches!(
            Warning::new(488, "x"),
            Err(SipError::InvalidWarning { code: 488 })
        ));
    }
}
