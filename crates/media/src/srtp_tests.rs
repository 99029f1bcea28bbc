//! Unit tests of SRTP protection: round trip, tampering, replay, rollover.

use super::*;
use crate::rtp::RtpPacket;
use crate::srtp_keys::MASTER_LEN;

fn master(seed: u8) -> MasterKey {
    let mut bytes = [0u8; MASTER_LEN];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = seed.wrapping_mul(31).wrapping_add(i as u8);
    }
    MasterKey::from_bytes(&bytes)
}

fn rtp(sequence: u16, payload: &[u8]) -> Vec<u8> {
    RtpPacket {
        payload_type: 0,
        marker: false,
        sequence,
        timestamp: u32::from(sequence) * 160,
        ssrc: 0x1234_5678,
        payload: payload.to_vec(),
    }
    .to_bytes()
}

fn pair(suite: SrtpSuite) -> (SrtpSender, SrtpReceiver) {
    let key = master(3);
    (SrtpSender::new(suite, &key), SrtpReceiver::new(suite, &key))
}

#[test]
fn a_protected_packet_comes_back_as_it_was_and_its_payload_is_not_in_clear() {
    for suite in SrtpSuite::ALL {
        let (mut tx, mut rx) = pair(suite);
        let plain = rtp(1, &[0x55; 160]);
        let protected = tx.protect(&plain).unwrap();
        assert_eq!(protected.len(), plain.len() + suite.tag_len());
        assert_eq!(protected[..12], plain[..12], "the header stays readable");
        assert_ne!(protected[12..172], plain[12..], "the payload is encrypted");
        assert_eq!(rx.unprotect(&protected).unwrap(), plain);
    }
}

#[test]
fn a_tampered_packet_or_the_wrong_key_is_refused_and_changes_nothing() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    let protected = tx.protect(&rtp(1, &[1; 160])).unwrap();
    for at in [1, 3, 20, protected.len() - 1] {
        let mut bad = protected.clone();
        bad[at] ^= 0x01;
        assert_eq!(
            rx.unprotect(&bad),
            Err(MediaError::SrtpAuthentication {
                sequence: u16::from_be_bytes([bad[2], bad[3]])
            })
        );
    }
    let mut stranger = SrtpReceiver::new(SrtpSuite::AesCm128HmacSha1_80, &master(9));
    assert!(matches!(
        stranger.unprotect(&protected),
        Err(MediaError::SrtpAuthentication { .. })
    ));
    // Plain RTP on an SRTP link is refused too.
    assert!(rx.unprotect(&rtp(1, &[1; 160])).is_err());
    // The genuine packet is still taken: the forgeries moved no state.
    assert!(rx.unprotect(&protected).is_ok());
}

#[test]
fn short_or_non_rtp_datagrams_are_refused_without_panicking() {
    let (_, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    for datagram in [&[][..], &[0x80; 5][..], &[0x80; 15][..], &[0x00; 40][..]] {
        assert!(rx.unprotect(datagram).is_err());
    }
    // A header extension announcing more words than the datagram holds.
    let mut ext = vec![
        0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff,
    ];
    ext.extend_from_slice(&[0; 10]);
    assert!(rx.unprotect(&ext).is_err());
}

#[test]
fn a_replayed_packet_is_refused_but_a_late_one_in_the_window_is_taken() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    let packets: Vec<Vec<u8>> = (1..=200)
        .map(|s| tx.protect(&rtp(s, &[s as u8; 160])).unwrap())
        .collect();
    assert!(rx.unprotect(&packets[0]).is_ok());
    assert_eq!(
        rx.unprotect(&packets[0]),
        Err(MediaError::SrtpReplay { sequence: 1 })
    );
    // 3 before 2: 2 is late but inside the window.
    assert!(rx.unprotect(&packets[2]).is_ok());
    assert!(rx.unprotect(&packets[1]).is_ok());
    assert!(rx.unprotect(&packets[1]).is_err());
    // Jump to 200: 4 is now 196 behind, beyond the 128-packet window.
    assert!(rx.unprotect(&packets[199]).is_ok());
    assert_eq!(
        rx.unprotect(&packets[3]),
        Err(MediaError::SrtpReplay { sequence: 4 })
    );
    // 100 is 100 behind: inside the window and never seen.
    assert!(rx.unprotect(&packets[99]).is_ok());
}

#[test]
fn the_rollover_counter_follows_a_sequence_wrap_on_both_sides() {
    let (mut tx, mut rx) = pair(SrtpSuite::AesCm128HmacSha1_80);
    let sequences: Vec<u16> = (65530..=65535).chain(0..10).collect();
    let protected: Vec<Vec<u8>> = sequences
        .iter()
        .map(|s| tx.protect(&rtp(*s, &[7; 160])).unwrap())
        .collect();
    for (s, p) in sequences.iter().zip(&protected) {
        let plain = rx.unprotect(p).unwrap();
        assert_eq!(plain, rtp(*s, &[7; 160]));
    }
    // A late packet from before the wrap (ROC 0) is still authenticated (ROC - 1 guess)...
    let (mut tx2, mut rx2) = pair(SrtpSuite::AesCm128HmacSha1_80);
    let before = tx2.protect(&rtp(65535, &[1; 160])).unwrap();
    let after = tx2.protect(&rtp(0, &[2; 160])).unwrap();
    let after2 = tx2.protect(&rtp(1, &[3; 160])).unwrap();
    assert!(rx2.unprotect(&before).is_ok());
    assert!(rx2.unprotect(&after2).is_ok());
    assert!(rx2.unprotect(&after).is_ok());
    // ...and a packet of the new cycle replayed is refused.
    assert!(rx2.unprotect(&after).is_err());
}

#[test]
fn a_sender_and_receiver_with_different_suites_do_not_agree() {
    let key = master(5);
    let mut tx = SrtpSender::new(SrtpSuite::AesCm128HmacSha1_32, &key);
    let mut rx = SrtpReceiver::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    assert!(rx
        .unprotect(&tx.protect(&rtp(1, &[1; 160])).unwrap())
        .is_err());
}
