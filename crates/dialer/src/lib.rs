//! Outbound campaigns for Hotline, the planning side: campaign files read with every error at
//! `file:line:column`, contact lists normalised to E.164 with a time zone each, calling windows
//! in the contact's own time, and a sans-IO dialer that is told the time and the outcomes and
//! answers whom to dial now. No sockets, files or clocks: the server reads the files, passes
//! `now` in and places the calls.

mod amd;
mod beep;
mod campaign_file;
mod check;
mod contacts;
mod dialer;
mod dnc;
mod dnc_import;
mod error;
mod opt_out;
mod phone;
mod retry;
mod sip_outcome;
mod trunks;
mod window;
mod yaml;
mod zones;

#[cfg(test)]
mod amd_tests;
#[cfg(test)]
mod campaign_tests;
#[cfg(test)]
mod dialer_tests;
#[cfg(test)]
mod progressive_tests;
#[cfg(test)]
mod window_tests;

pub use amd::{
    AmdEvent, Decision, Detector, GreetingEnd, MachineDetection, Reason as AmdReason, Verdict,
};
pub use beep::{Beep, BeepDetector};
pub use campaign_file::{parse_campaign, AgentPacing, Campaign, ContactSource, OptOutList, Pacing};
pub use check::{check_campaign, CheckReport, OutsideWindow};
pub use contacts::{
    import_contacts, Contact, ContactImport, RowProblem, RowProblemKind, ZoneSource,
};
pub use dialer::{AttemptRecord, ContactStatus, Dial, Dialer, Progress, Settled};
pub use dnc::{DncProblem, DoNotCall};
pub use dnc_import::{import_do_not_call, DncEntry, DncImport};
pub use error::DialerError;
pub use opt_out::{find_opt_out, OptOutOffer, OPT_OUT_INTENTS};
pub use phone::{normalise, NumberProblem, E164};
pub use retry::{OnMachine, Outcome, RetryPolicy, RetryRule};
pub use sip_outcome::{outcome_of_answered, outcome_of_final, OPT_OUT_REASONS};
pub use trunks::{parse_trunks, Secret, Trunk, DEFAULT_RING_TIMEOUT};
pub use window::{CallingWindow, Hours};
pub use yaml::Pos;
pub use zones::{calling_code_of_country, zone_of_number};
