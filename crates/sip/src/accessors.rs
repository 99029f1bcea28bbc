//! Typed accessors on [`Headers`] for the headers the stack acts on.

use crate::fields::{parse_max_forwards, CSeq, MediaType};
use crate::name_addr::{Contact, NameAddr};
use crate::{Defect, Headers, Via};

impl Headers {
    /// Every Via value, top first.
    pub fn vias(&self) -> Result<Vec<Via>, Defect> {
        self.values("Via")?.into_iter().map(Via::parse).collect()
    }

    /// The top Via.
    pub fn top_via(&self) -> Result<Via, Defect> {
        let values = self.values("Via")?;
        Via::parse(values.first().ok_or(Defect::MissingHeader("Via"))?)
    }

    /// The From value.
    pub fn from(&self) -> Result<NameAddr, Defect> {
        NameAddr::parse(self.get("From").ok_or(Defect::MissingHeader("From"))?)
    }

    /// The To value.
    pub fn to(&self) -> Result<NameAddr, Defect> {
        NameAddr::parse(self.get("To").ok_or(Defect::MissingHeader("To"))?)
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.get("Call-ID")
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq, Defect> {
        CSeq::parse(self.get("CSeq").ok_or(Defect::MissingHeader("CSeq"))?)
    }

    /// Every Contact value.
    pub fn contacts(&self) -> Result<Vec<Contact>, Defect> {
        self.values("Contact")?
            .into_iter()
            .map(Contact::parse)
            .collect()
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Option<Result<u8, Defect>> {
        self.get("Max-Forwards").map(parse_max_forwards)
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Option<Result<MediaType, Defect>> {
        self.get("Content-Type").map(MediaType::parse)
    }

    /// Accept media ranges; `None` when there is no Accept header.
    pub fn accept(&self) -> Option<Result<Vec<MediaType>, Defect>> {
        if self.count("Accept") == 0 {
            return None;
        }
        let ranges = self.values("Accept").and_then(|values| {
            values
                .into_iter()
                .filter(|v| !v.is_empty())
                .map(MediaType::parse)
                .collect()
        });
        Some(ranges)
    }

    /// Option tags of a list header such as Require, Proxy-Require, Supported or Unsupported.
    pub fn option_tags(&self, name: &str) -> Vec<String> {
        self.values(name)
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Option tags the peer requires us to support.
    pub fn require(&self) -> Vec<String> {
        self.option_tags("Require")
    }

    /// Option tags required of proxies.
    pub fn proxy_require(&self) -> Vec<String> {
        self.option_tags("Proxy-Require")
    }

    /// Option tags the peer supports.
    pub fn supported(&self) -> Vec<String> {
        self.option_tags("Supported")
    }

    /// Methods listed in Allow.
    pub fn allow(&self) -> Vec<String> {
        self.option_tags("Allow")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Method;

    #[test]
    fn typed_values() {
        let mut h = Headers::new();
        h.push(
            "v",
            "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1",
        );
        h.push("f", "<sip:a@example.com>;tag=1");
        h.push("t", "sip:b@example.com");
        h.push("CSeq", "7 OPTIONS");
        h.push("Require", "100rel, timer");
        h.push("Accept", "application/sdp, text/plain");
        h.push("m", "<sip:a@10.0.0.1>, *");
        assert_eq!(h.vias().unwrap().len(), 2);
        assert_eq!(h.top_via().unwrap().branch(), Some("z9hG4bK1"));
        assert_eq!(h.from().unwrap().tag(), Some("1"));
        assert_eq!(h.to().unwrap().tag(), None);
        assert_eq!(h.cseq().unwrap().method, Method::Options);
        assert_eq!(h.require(), vec!["100rel", "timer"]);
        assert!(h.proxy_require().is_empty() && h.supported().is_empty());
        assert_eq!(h.accept().unwrap().unwrap().len(), 2);
        assert_eq!(h.contacts().unwrap()[1], Contact::Any);
        assert!(h.max_forwards().is_none());
    }
}
