//! Answering-machine detection on an answered campaign call: the driver that moves the callee's
//! RTP into the pure detector (`hotline_dialer::Detector`) until it has a verdict, and on a
//! machine whose message is to be left, until its greeting is over (beep or silence). The flow
//! starts only afterwards, so a person hears the flow from its first word and a machine records
//! the message after its beep.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_dialer::{AmdEvent, Decision, Detector, GreetingEnd, MachineDetection, Verdict};
use tokio::sync::mpsc;

use crate::call::rtp::Incoming;
use crate::call::{dtmf_from_info, rtp_guard, DialogEvent, MediaPlan, RtpLink};
use crate::config::RtpConfig;

/// The verdict and, on a machine we waited for, how its greeting ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineCheck {
    pub decision: Decision,
    pub end: Option<GreetingEnd>,
}

impl MachineCheck {
    /// The results file's `amd` value (Twilio's names): `human`, `unknown`, `machine_start`
    /// (hung up at the verdict), `machine_end_beep`, `machine_end_silence`, `machine_end_other`.
    pub fn result_name(&self) -> &'static str {
        match (self.decision.verdict, self.end) {
            (Verdict::Human, _) => "human",
            (Verdict::Unknown, _) => "unknown",
            (Verdict::Machine, None) => "machine_start",
            (Verdict::Machine, Some(end)) => end.result_name(),
        }
    }

    /// The flow's `amd` variable: `human`, `machine` or `unknown`.
    pub fn verdict_name(&self) -> &'static str {
        self.decision.verdict.name()
    }
}

/// How detection ended.
#[derive(Debug)]
pub enum Detected {
    /// A verdict (and on a machine, with `wait_for_end`, the end of its greeting).
    Ready(MachineCheck),
    /// The callee hung up first; the verdict so far, if any.
    HungUp(Option<MachineCheck>),
    /// The server is stopping.
    Shutdown,
}

/// Runs the detector on the call's audio. `wait_for_end`: on a machine, go on until its
/// greeting ends. The socket is a clone of the call's; the flow's own link takes over after.
pub async fn detect(
    socket: std::net::UdpSocket,
    rtp: &RtpConfig,
    media: &MediaPlan,
    signalling: SocketAddr,
    config: MachineDetection,
    wait_for_end: bool,
    dialog: &mut mpsc::UnboundedReceiver<DialogEvent>,
) -> Result<Detected, crate::error::HotlineError> {
    let mut link = RtpLink::new(
        socket,
        rtp_guard(rtp, media.remote_rtp, signalling.ip()),
        media.codec,
        media.payload_type,
        media.dtmf_payload_type,
    )?;
    let answered = Instant::now();
    let mut detector = Detector::new(config);
    let mut buf = vec![0u8; 2048];
    let mut last_audio = answered;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut check: Option<MachineCheck> = None;
    // A key pressed before the verdict is a person (the key itself is not passed to the flow).
    let pressed = |at: Duration| {
        Detected::Ready(MachineCheck {
            decision: Decision {
                verdict: Verdict::Human,
                reason: hotline_dialer::AmdReason::KeyPressed,
                at,
            },
            end: None,
        })
    };
    loop {
        let events = tokio::select! {
            incoming = link.recv(&mut buf) => match incoming {
                Incoming::Audio(samples) => {
                    last_audio = Instant::now();
                    detector.on_frame(answered.elapsed(), &samples)
                }
                Incoming::Digit(_) if check.is_none() => return Ok(pressed(answered.elapsed())),
                _ => Vec::new(),
            },
            _ = tick.tick() => {
                // No RTP for a while (a silent trunk, a lost stream): time passes as silence.
                if last_audio.elapsed() >= Duration::from_millis(60) {
                    detector.on_frame(answered.elapsed(), &[0.0; 160])
                } else {
                    Vec::new()
                }
            }
            event = dialog.recv() => match event {
                Some(DialogEvent::Ended(_)) => return Ok(Detected::HungUp(check)),
                Some(DialogEvent::Shutdown) | None => return Ok(Detected::Shutdown),
                Some(DialogEvent::Info { content_type, body })
                    if check.is_none() && dtmf_from_info(&content_type, &body).is_some() =>
                {
                    return Ok(pressed(answered.elapsed()));
                }
                Some(_) => Vec::new(),
            },
        };
        for event in events {
            match event {
                AmdEvent::Decided(decision) => {
                    check = Some(MachineCheck {
                        decision,
                        end: None,
                    });
                    if decision.verdict != Verdict::Machine || !wait_for_end {
                        if let Some(c) = check {
                            return Ok(Detected::Ready(c));
                        }
                    }
                }
                AmdEvent::GreetingEnded { how, .. } => {
                    if let Some(c) = check.as_mut() {
                        c.end = Some(how);
                        return Ok(Detected::Ready(*c));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_dialer::AmdReason;

    fn check(verdict: Verdict, end: Option<GreetingEnd>) -> MachineCheck {
        MachineCheck {
            decision: Decision {
                verdict,
                reason: AmdReason::TooManyWords,
                at: Duration::from_millis(1200),
            },
            end,
        }
    }

    #[test]
    fn results_file_names_follow_the_verdict_and_the_greetings_end() {
        assert_eq!(check(Verdict::Human, None).result_name(), "human");
        assert_eq!(check(Verdict::Unknown, None).result_name(), "unknown");
        assert_eq!(check(Verdict::Machine, None).result_name(), "machine_start");
        let beep = check(Verdict::Machine, Some(GreetingEnd::Beep));
        assert_eq!(beep.result_name(), "machine_end_beep");
        assert_eq!(beep.verdict_name(), "machine");
        assert_eq!(
            check(Verdict::Machine, Some(GreetingEnd::Silence)).result_name(),
            "machine_end_silence"
        );
        assert_eq!(
            check(Verdict::Machine, Some(GreetingEnd::Timeout)).result_name(),
            "machine_end_other"
        );
    }
}
