//! Refusing to serve with the shipped example agent passwords where someone else could use them:
//! when the SIP port listens beyond this machine and other machines may register, an agent whose
//! password is still the example (`agent1-secret`) or a well-known weak one could be registered
//! by anyone, who would then take that agent's calls.

use std::net::{IpAddr, SocketAddr};

use hotline_sip::{ha1, AccountSecret, DigestAlgorithm};
use ipnet::IpNet;

/// Passwords nobody should register with: the example files' pattern `{id}-secret` and these.
const WEAK: &[&str] = &[
    "secret",
    "password",
    "changeme",
    "change-me",
    "1234",
    "12345",
    "123456",
    "admin",
    "agent",
];

/// Whether `password` is the example or a well-known weak password for agent `id`.
pub fn is_example_password(id: &str, password: &str) -> bool {
    let p = password.trim().to_ascii_lowercase();
    p == format!("{}-secret", id.to_ascii_lowercase()) || WEAK.contains(&p.as_str())
}

/// Whether an account's secret is an example or weak password: in clear, or as HA1 hashes
/// of one (`hotline agents passwd` refuses them, but a hand-made hash could hide one).
pub fn is_example_secret(id: &str, realm: &str, secret: &AccountSecret) -> bool {
    match secret {
        AccountSecret::Password(password) => is_example_password(id, password),
        AccountSecret::Ha1 { md5, sha256 } => {
            let candidates = WEAK.iter().map(|w| w.to_string()).chain([
                format!("{id}-secret"),
                format!("{}-secret", id.to_ascii_lowercase()),
            ]);
            candidates.into_iter().any(|password| {
                let matches = |algorithm: DigestAlgorithm, hash: &Option<String>| {
                    hash.as_deref()
                        .is_some_and(|h| h == ha1(algorithm, id, realm, &password))
                };
                matches(DigestAlgorithm::Md5, md5) || matches(DigestAlgorithm::Sha256, sha256)
            })
        }
    }
}

/// Whether phones on other machines can reach the SIP port and register: it listens on an
/// address other than loopback, and `sip.allowed.register` admits a network beyond loopback.
pub fn others_can_register(listen: SocketAddr, register: &[IpNet]) -> bool {
    let beyond_loopback = |ip: IpAddr| !ip.is_loopback();
    beyond_loopback(listen.ip())
        && register
            .iter()
            .any(|net| !(net.network().is_loopback() && net.broadcast().is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_files_passwords_and_common_ones_are_refused() {
        assert!(is_example_password("agent1", "agent1-secret"));
        assert!(is_example_password("agent2", "Agent2-Secret"));
        assert!(is_example_password("ann", "password"));
        assert!(!is_example_password("agent1", "agent2-secret"));
        assert!(!is_example_password("ann", "c0rrect-horse-battery"));
    }

    #[test]
    fn an_example_password_hidden_in_ha1_hashes_is_found() {
        let hashed = |password: &str| AccountSecret::Ha1 {
            md5: Some(ha1(DigestAlgorithm::Md5, "agent1", "hotline", password)),
            sha256: None,
        };
        assert!(is_example_secret(
            "agent1",
            "hotline",
            &hashed("agent1-secret")
        ));
        assert!(is_example_secret("agent1", "hotline", &hashed("changeme")));
        assert!(!is_example_secret(
            "agent1",
            "hotline",
            &hashed("c0rrect-horse-battery")
        ));
        assert!(is_example_secret("agent1", "hotline", &"password".into()));
    }

    #[test]
    fn only_a_reachable_port_that_admits_remote_registrations_counts() {
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let office: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let any: SocketAddr = "0.0.0.0:5060".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        assert!(!others_can_register(local, &office));
        assert!(!others_can_register(any, &loopback));
        assert!(others_can_register(any, &office));
        assert!(others_can_register("[::]:5060".parse().unwrap(), &office));
    }
}
