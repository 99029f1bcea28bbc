//! The console's analytics as pure functions: call, turn and queue rows in, figures out (calls
//! per hour, day or week, containment, transfer reasons, top intents, the ask-node funnel, anger,
//! latency, queue service), and each chart's numbers as CSV. No clock and no store here: the
//! admin API reads the rows and passes the time range in.

pub mod csv;
pub mod figures;
pub mod when;

pub use figures::{compute, Inputs};
pub use when::{parse_time, Bucket, TimeEdge};
