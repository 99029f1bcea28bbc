//! SRTP key material (RFC 3711 §4.3): a call's master key and salt, the session keys derived
//! from them, and the AES counter-mode keystream (§4.1.1) that both derivation and packet
//! encryption use.
//!
//! Only the key derivation rate 0 is supported (session keys derived once, at index 0), which
//! is what SDES peers send unless their `a=crypto` line says otherwise.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

/// Length of an AES-128 master key.
pub const MASTER_KEY_LEN: usize = 16;
/// Length of a master salt (112 bits).
pub const MASTER_SALT_LEN: usize = 14;
/// Master key and salt together, as SDES carries them (`inline:` base64 of 30 bytes).
pub const MASTER_LEN: usize = MASTER_KEY_LEN + MASTER_SALT_LEN;

/// The key derivation labels of RFC 3711 §4.3.1 (SRTP only: we do not protect RTCP).
const LABEL_RTP_ENCRYPTION: u8 = 0x00;
const LABEL_RTP_AUTH: u8 = 0x01;
const LABEL_RTP_SALT: u8 = 0x02;

/// One direction's master key and salt, as one `a=crypto` line carries them.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    key: [u8; MASTER_KEY_LEN],
    salt: [u8; MASTER_SALT_LEN],
}

impl std::fmt::Debug for MasterKey {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Key then salt, 30 bytes (the SDES `inline:` layout).
    pub fn from_bytes(bytes: &[u8; MASTER_LEN]) -> MasterKey {
        let mut key = [0u8; MASTER_KEY_LEN];
        let mut salt = [0u8; MASTER_SALT_LEN];
        key.copy_from_slice(&bytes[..MASTER_KEY_LEN]);
        salt.copy_from_slice(&bytes[MASTER_KEY_LEN..]);
        MasterKey { key, salt }
    }

    /// Key then salt, 30 bytes.
    pub fn to_bytes(&self) -> [u8; MASTER_LEN] {
        let mut out = [0u8; MASTER_LEN];
        out[..MASTER_KEY_LEN].copy_from_slice(&self.key);
        out[MASTER_KEY_LEN..].copy_from_slice(&self.salt);
        out
    }
}

/// The keys one SRTP stream is protected with, derived from a [`MasterKey`].
#[derive(Clone)]
pub struct SessionKeys {
    pub(crate) cipher: Aes128,
    pub(crate) salt: [u8; MASTER_SALT_LEN],
    pub(crate) auth: [u8; 20],
}

impl SessionKeys {
    /// RFC 3711 §4.3.1 with key derivation rate 0: each key is the AES-CM keystream under the
    /// master key, started at the master salt XOR the label.
    pub fn derive(master: &MasterKey) -> SessionKeys {
        let prf = Aes128::new(&master.key.into());
        let mut encryption = [0u8; MASTER_KEY_LEN];
        let mut salt = [0u8; MASTER_SALT_LEN];
        let mut auth = [0u8; 20];
        derive_into(&prf, &master.salt, LABEL_RTP_ENCRYPTION, &mut encryption);
        derive_into(&prf, &master.salt, LABEL_RTP_AUTH, &mut auth);
        derive_into(&prf, &master.salt, LABEL_RTP_SALT, &mut salt);
        SessionKeys {
            cipher: Aes128::new(&encryption.into()),
            salt,
            auth,
        }
    }
}

/// `x = key_id XOR master_salt`, with key_id = label || 48-bit index 0 aligned right (so the
/// label lands on byte 7 of the 14), then the keystream from `x * 2^16`.
fn derive_into(prf: &Aes128, master_salt: &[u8; MASTER_SALT_LEN], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(master_salt);
    iv[7] ^= label;
    out.fill(0);
    apply_keystream(prf, &iv, out);
}

/// The counter block of packet `index` of stream `ssrc` (§4.1.1):
/// `(salt * 2^16) XOR (ssrc * 2^64) XOR (index * 2^16)`, block counter 0.
pub(crate) fn packet_iv(salt: &[u8; MASTER_SALT_LEN], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(salt);
    for (byte, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *byte ^= s;
    }
    // The 48-bit index occupies bytes 8..14.
    for (byte, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *byte ^= i;
    }
    iv
}

/// XORs `data` with the AES-CM keystream starting at counter block `iv` (the last two bytes
/// count blocks, so one call covers up to 2^16 blocks: far more than a datagram).
pub(crate) fn apply_keystream(cipher: &Aes128, iv: &[u8; 16], data: &mut [u8]) {
    let base = u16::from_be_bytes([iv[14], iv[15]]);
    for (n, chunk) in data.chunks_mut(16).enumerate() {
        let mut counter = *iv;
        counter[14..].copy_from_slice(&base.wrapping_add(n as u16).to_be_bytes());
        let mut block = counter.into();
        cipher.encrypt_block(&mut block);
        for (d, k) in chunk.iter_mut().zip(block.iter()) {
            *d ^= k;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| b.is_ascii_hexdigit())
            .map(|b| (b as char).to_digit(16).unwrap() as u8)
            .collect();
        digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
    }

    fn master(key: &str, salt: &str) -> MasterKey {
        let mut bytes = [0u8; MASTER_LEN];
        bytes[..16].copy_from_slice(&hex(key));
        bytes[16..].copy_from_slice(&hex(salt));
        MasterKey::from_bytes(&bytes)
    }

    /// RFC 3711 Appendix B.3: key derivation test vectors.
    #[test]
    fn session_keys_match_rfc_3711_appendix_b3() {
        let m = master(
            "E1F97A0D3E018BE0D64FA32C06DE4139",
            "0EC675AD498AFEEBB6960B3AABE6",
        );
        let prf = Aes128::new(&m.key.into());
        let mut encryption = [0u8; 16];
        derive_into(&prf, &m.salt, LABEL_RTP_ENCRYPTION, &mut encryption);
        assert_eq!(encryption.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        let keys = SessionKeys::derive(&m);
        assert_eq!(keys.salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        assert_eq!(
            keys.auth.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
        // The whole 94-byte auth key of the appendix: the counter runs across six blocks.
        let mut long = [0u8; 94];
        derive_into(&prf, &m.salt, LABEL_RTP_AUTH, &mut long);
        assert_eq!(
            long.to_vec(),
            hex(
                "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE\
                 E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25\
                 6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"
            )
        );
    }

    /// RFC 3711 Appendix B.2: AES-CM keystream for session key 2B7E..., salt F0F1..FD,
    /// SSRC 0, ROC 0, SEQ 0: the first three blocks and blocks 0xFEFF..0xFF01.
    #[test]
    fn keystream_matches_rfc_3711_appendix_b2() {
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
        let key: [u8; 16] = key.try_into().unwrap();
        let cipher = Aes128::new(&key.into());
        let mut salt = [0u8; MASTER_SALT_LEN];
        salt.copy_from_slice(&hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
        let iv = packet_iv(&salt, 0, 0);
        assert_eq!(iv.to_vec(), hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));
        let mut stream = vec![0u8; 0xFF02 * 16];
        apply_keystream(&cipher, &iv, &mut stream);
        assert_eq!(
            stream[..48].to_vec(),
            hex("E03EAD0935C95E80E166B16DD92B4EB4\
                 D23513162B02D0F72A43A2FE4A5F97AB\
                 41E95B3BB0A2E8DD477901E4FCA894C0")
        );
        assert_eq!(
            stream[0xFEFF * 16..].to_vec(),
            hex("EC8CDF7398607CB0F2D21675EA9EA1E4\
                 362B7C3C6773516318A077D7FC5073AE\
                 6A2CC3787889374FBEB4C81B17BA6C44")
        );
    }

    #[test]
    fn the_packet_iv_mixes_ssrc_and_index_into_the_salt() {
        let salt = [0u8; MASTER_SALT_LEN];
        let iv = packet_iv(&salt, 0x0102_0304, 0x0000_AABB_CCDD_EEFF);
        assert_eq!(iv.to_vec(), hex("00000000 01020304 AABBCCDDEEFF 0000"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let m = MasterKey::from_bytes(&[7u8; MASTER_LEN]);
        assert_eq!(format!("{m:?}"), "MasterKey(..)");
    }
}
