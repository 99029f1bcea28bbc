//! The call core: the decisions of a call as pure logic, fed time-stamped inputs, returning what
//! to do, with no IO and no clock read. The session task is its driver.
//!
//! - `handoff`: queue, agent ring deadline and REFER stages of handing a caller to a person.
//! - `turn_taking`: the listener's events and transcripts become turns, in order, none lost.
//! - `journal`: every input the flow received, kept with the call for replay.
//! - `replay`: a call run through a flow again, compared decision by decision, or made a test.
//! - `requests`: the flow's `http` and `ticket` requests, their answers and the `http` timeout.
//! - `sensitive`: what of a caller's answer at a `sensitive` slot goes on the record.

pub mod handoff;
pub mod journal;
pub mod replay;
pub mod requests;
pub mod sensitive;
pub mod turn_taking;

#[cfg(test)]
mod handoff_tests;
#[cfg(test)]
mod requests_tests;
#[cfg(test)]
mod turn_taking_tests;
