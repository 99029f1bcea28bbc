//! Who may send us which requests: separate source networks for calling, registering and
//! everything else, checked before the endpoint keeps any state for a request.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::Method;

/// What a request asks of us, for choosing the networks allowed to ask it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestClass {
    /// INVITE, and the CANCEL or ACK that go with one.
    Call,
    /// REGISTER.
    Register,
    /// OPTIONS, BYE, INFO, NOTIFY and every other request.
    Other,
}

impl RequestClass {
    /// The class of a request outside any dialog.
    pub fn of(method: &Method) -> RequestClass {
        match method {
            Method::Invite | Method::Cancel | Method::Ack => RequestClass::Call,
            Method::Register => RequestClass::Register,
            _ => RequestClass::Other,
        }
    }

    /// The class of a method named by text (a request the parser refused).
    pub fn of_name(method: &str) -> RequestClass {
        match method {
            "INVITE" | "CANCEL" | "ACK" => RequestClass::Call,
            "REGISTER" => RequestClass::Register,
            _ => RequestClass::Other,
        }
    }
}

/// The source networks allowed for each class of request (see [`crate::EndpointConfig::access`]).
/// Requests inside a dialog we hold are admitted from that dialog's peer whatever these say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPolicy {
    /// May call us (INVITE).
    pub call: Vec<IpNet>,
    /// May register (REGISTER).
    pub register: Vec<IpNet>,
    /// May send anything else outside a dialog (OPTIONS, and in-dialog requests from
    /// addresses other than the dialog's peer).
    pub other: Vec<IpNet>,
}

impl AccessPolicy {
    /// Everyone may send everything (tests and closed networks).
    pub fn open() -> AccessPolicy {
        AccessPolicy::only(&[
            "0.0.0.0/0".parse().expect("net"),
            "::/0".parse().expect("net"),
        ])
    }

    /// The same networks for every class.
    pub fn only(networks: &[IpNet]) -> AccessPolicy {
        AccessPolicy {
            call: networks.to_vec(),
            register: networks.to_vec(),
            other: networks.to_vec(),
        }
    }

    /// Whether `source` may send a request of this class.
    pub fn admits(&self, class: RequestClass, source: IpAddr) -> bool {
        let networks = match class {
            RequestClass::Call => &self.call,
            RequestClass::Register => &self.register,
            RequestClass::Other => &self.other,
        };
        let ip = plain_ip(source);
        networks.iter().any(|net| net.contains(&ip))
    }

    /// Whether `source` is in any of the networks (for a request too malformed to classify
    /// reliably).
    pub fn admits_any(&self, source: IpAddr) -> bool {
        [
            RequestClass::Call,
            RequestClass::Register,
            RequestClass::Other,
        ]
        .into_iter()
        .any(|class| self.admits(class, source))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries (a dual-stack socket reports
/// IPv4 peers that way).
pub fn plain_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn each_class_has_its_own_networks() {
        let policy = AccessPolicy {
            call: nets(&["192.0.2.0/24"]),
            register: nets(&["10.0.0.0/8"]),
            other: nets(&["192.0.2.0/24", "10.0.0.0/8"]),
        };
        let trunk: IpAddr = "192.0.2.7".parse().unwrap();
        let phone: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(policy.admits(RequestClass::Call, trunk));
        assert!(!policy.admits(RequestClass::Register, trunk));
        assert!(policy.admits(RequestClass::Register, phone));
        assert!(!policy.admits(RequestClass::Call, phone));
        assert!(policy.admits(RequestClass::Other, phone));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert!(policy.admits(RequestClass::Call, mapped));
        assert!(!policy.admits_any("198.51.100.1".parse().unwrap()));
        assert!(AccessPolicy::open().admits(RequestClass::Call, "198.51.100.1".parse().unwrap()));
    }

    #[test]
    fn methods_fall_into_classes() {
        assert_eq!(RequestClass::of(&Method::Cancel), RequestClass::Call);
        assert_eq!(RequestClass::of(&Method::Register), RequestClass::Register);
        assert_eq!(RequestClass::of(&Method::Options), RequestClass::Other);
        assert_eq!(RequestClass::of_name("REGISTER"), RequestClass::Register);
    }
}
