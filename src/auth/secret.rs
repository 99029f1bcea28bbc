//! Secrets: Argon2 password hashes, random API tokens and session ids from the operating
//! system, their SHA-256 (what the store keeps), and comparisons that take the same time
//! whatever the bytes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use super::AuthError;

/// The shortest password `hotline users add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What API tokens start with, so one pasted into the wrong place is recognisable.
pub const TOKEN_PREFIX: &str = "hl_";

/// Refuses a password shorter than [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(password: &str) -> Result<(), AuthError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AuthError::PasswordTooShort {
            length,
            min: MIN_PASSWORD_CHARS,
        });
    }
    Ok(())
}

/// The password's Argon2id hash in PHC form (`$argon2id$v=19$...`), with a random salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AuthError::Hashing {
        reason: e.to_string(),
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing {
            reason: e.to_string(),
        })
}

/// Whether `password` matches a stored hash; a hash that cannot be read matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so a wrong name takes as long as a
/// wrong password (names cannot be found by timing logins).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AuthError::Randomness {
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

/// A new API token: the prefix and 32 random bytes in hex. Shown once, stored as [`sha256_hex`].
pub fn new_token() -> Result<String, AuthError> {
    Ok(format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?)))
}

/// A new session id or CSRF token: 32 random bytes in hex.
pub fn new_session_secret() -> Result<String, AuthError> {
    Ok(hex(&random_bytes::<32>()?))
}

/// The SHA-256 of a token or session id, in hex: what the store keeps and looks up. Enough for
/// 256-bit random secrets (no dictionary to try), unlike passwords, which get Argon2.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Equal strings, compared in a time that depends on their lengths only.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_that_password_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("", &hash));
        // Two hashes of one password differ (random salt) and both verify.
        let again = hash_password("correct horse battery").unwrap();
        assert_ne!(hash, again);
        assert!(verify_password("correct horse battery", &again));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("not a password of anyone!", decoy_hash()));
    }

    #[test]
    fn short_passwords_are_refused_with_their_length() {
        assert_eq!(
            check_password("123456789"),
            Err(AuthError::PasswordTooShort { length: 9, min: 10 })
        );
        assert!(check_password("1234567890").is_ok());
        // Characters, not bytes.
        assert!(check_password("ééééééééé").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_as_their_digest() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(
            a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64,
            "{a}"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(new_session_secret().unwrap().len(), 64);
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert!(same("", ""));
    }
}
