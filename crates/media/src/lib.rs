//! Hotline's media logic, free of IO: no sockets, no clock reads, no threads. The call task
//! feeds it datagrams, audio and the current time, and sends what it returns.
//!
//! Modules:
//! - [`g711`]: µ-law / A-law companding and the [`Codec`] enum (PCMU 0, PCMA 8).
//! - [`rtp`]: [`RtpPacket`] parsing and serialisation, [`RtpSender`] numbering an outgoing stream.
//! - [`pacing`]: [`Pacer`], the drift-free 20 ms clock for outgoing frames.
//! - [`dtmf`]: RFC 4733 telephone-events: [`DtmfEvent`], [`dtmf_packets`], [`DtmfReceiver`].
//! - [`guard`]: [`RtpGuard`], strict RTP source with probation, size and rate caps.
//! - [`jitter`]: [`JitterBuffer`] reordering received packets and reporting losses.
//! - [`resample`]: [`Resampler`], streaming windowed-sinc conversion for rational rate ratios.
//! - [`endpointing`]: [`Endpointer`], utterance segmentation from VAD probabilities.
//! - [`level`]: [`rms_dbfs`] and [`estimate_pitch`], loudness and pitch cues.
//! - [`speech_gate`]: [`SpeechGate`], which windows the VAD model must hear (level over the noise floor).
//! - [`sample`]: i16 <-> f32 conversions ([`pcm_to_f32`], [`f32_to_pcm`]).
//! - [`srtp`]: [`SrtpSender`] / [`SrtpReceiver`], RFC 3711 SRTP for one call (AES-CM, HMAC-SHA1).
//! - [`srtp_keys`]: [`MasterKey`] and the RFC 3711 §4.3 session key derivation.
//! - [`sdes`]: RFC 4568 `a=crypto` lines ([`CryptoLine`]) and the `rtp.srtp` rule ([`decide`]).
//! - [`error`]: [`MediaError`], the crate's one error type.
//!
//! Receive path: `RtpPacket::parse` → `JitterBuffer` → `Codec::decode` (or `DtmfReceiver`) →
//! `pcm_to_f32` → `Resampler` → VAD → `Endpointer` → ASR. Send path: TTS audio → `Resampler` →
//! `f32_to_pcm` → `Codec::encode` → `RtpSender::audio` paced by `Pacer`.

pub mod dtmf;
pub mod endpointing;
pub mod error;
pub mod g711;
pub mod guard;
pub mod jitter;
pub mod level;
pub mod pacing;
pub mod resample;
pub mod rtp;
pub mod sample;
pub mod sdes;
pub mod speech_gate;
pub mod srtp;
pub mod srtp_keys;

pub use dtmf::{dtmf_packets, event_code, DtmfEvent, DtmfReceiver};
pub use endpointing::{EndpointEvent, Endpointer, EndpointerConfig};
pub use error::{MediaError, SdesDefect};
pub use g711::{alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, Codec};
pub use guard::{DropReason, GuardLimits, RtpGuard, Verdict};
pub use jitter::{JitterBuffer, JitterFrame, JitterStats, PushOutcome};
pub use level::{estimate_pitch, rms_dbfs, PitchRange};
pub use pacing::Pacer;
pub use resample::Resampler;
pub use rtp::{RtpPacket, RtpSender};
pub use sample::{f32_to_pcm, pcm_to_f32, sample_to_f32, sample_to_pcm};
pub use sdes::{decide, CryptoLine, MediaSecurity, OfferSecurity, SrtpPolicy};
pub use speech_gate::{GateDecision, SpeechGate, SpeechGateConfig};
pub use srtp::{SrtpReceiver, SrtpSender, SrtpSuite};
pub use srtp_keys::{MasterKey, MASTER_LEN};
