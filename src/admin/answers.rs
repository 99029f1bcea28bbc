//! The JSON shapes of the admin API's answers that handlers put together with `json!` rather
//! than return as a store record, named here so the OpenAPI document gives each route a response
//! schema. Nothing builds these structs: they describe, and the schemathesis test
//! (`tests/e2e_openapi.rs`, response-schema conformance) fails when an answer drifts from them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::ToSchema;

use super::flow_diff::DiffLine;
use crate::campaign::report::Status;
use crate::store::{CallRecord, DncRow, FlowPublication, TurnRecord};

/// `GET /api/calls/{id}`: the call with everything recorded about it.
#[derive(ToSchema)]
pub struct CallDetail {
    call: CallRecord,
    turns: Vec<TurnRecord>,
    /// The flow nodes the call went through, in order.
    path: Vec<String>,
    tickets: Vec<CallTicket>,
    recordings: Vec<RecordingLink>,
}

/// A ticket the flow created during the call.
#[derive(ToSchema)]
pub struct CallTicket {
    id: String,
    /// Unix time in milliseconds.
    created_at: i64,
    summary: String,
    /// The ticket's fields by name.
    fields: BTreeMap<String, String>,
}

/// A recording of the call and where to fetch it.
#[derive(ToSchema)]
pub struct RecordingLink {
    /// `/api/calls/{id}/recordings/{name}`.
    url: String,
    name: String,
}

/// `GET /api/queues`: one queue's figures (durations in seconds) and its callers now. A queue
/// known only from the live gauges (nobody entered it yet) has only `queue`, `waiting` and
/// `longest_wait_seconds`.
#[derive(ToSchema)]
pub struct QueueView {
    queue: String,
    entered: Option<i64>,
    answered: Option<i64>,
    answered_within_sl: Option<i64>,
    abandoned: Option<i64>,
    overflowed: Option<i64>,
    callbacks: Option<i64>,
    service_level: Option<f64>,
    abandonment_rate: Option<f64>,
    average_handle_time_seconds: Option<f64>,
    /// Callers waiting now.
    waiting: f64,
    longest_wait_seconds: f64,
}

/// `POST /api/campaigns/{name}/{action}`: what the campaign runner did.
#[derive(ToSchema)]
pub struct CampaignAction {
    campaign: String,
    message: String,
}

/// `GET /api/campaigns/{name}`: the campaign's state and counts.
#[derive(ToSchema)]
pub struct CampaignStatus {
    campaign: String,
    /// The runner's state, as `hotline campaigns status` names it.
    state: String,
    status: Status,
}

/// `GET /api/do-not-call`: the global list.
#[derive(ToSchema)]
pub struct DncNumbers {
    numbers: Vec<DncRow>,
}

/// `GET /api/campaigns/{name}/do-not-call`: a campaign's own list.
#[derive(ToSchema)]
pub struct CampaignDncNumbers {
    campaign: String,
    numbers: Vec<DncRow>,
}

/// A number put on a do-not-call list, or found there already (`added` false).
#[derive(ToSchema)]
pub struct DncAdded {
    /// Present for a campaign's list.
    campaign: Option<String>,
    /// The number in E.164.
    number: String,
    added: bool,
}

/// A number taken off a do-not-call list.
#[derive(ToSchema)]
pub struct DncRemoved {
    /// Present for a campaign's list.
    campaign: Option<String>,
    number: String,
    removed: bool,
}

/// `GET /api/flows`: one flow file in the flows directory.
#[derive(ToSchema)]
pub struct FlowFile {
    name: String,
    /// Whether the server answers calls with this file.
    served: bool,
    bytes: u64,
}

/// One finding of the flow loader.
#[derive(ToSchema)]
pub struct Diagnostic {
    line: u64,
    column: u64,
    /// `error` or `warning`.
    severity: String,
    message: String,
    /// `file:line:column: message`, as `hotline flow check` prints it.
    text: String,
}

/// `GET /api/flows/{name}`: the file's text and the loader's findings.
#[derive(ToSchema)]
pub struct FlowOpened {
    name: String,
    served: bool,
    /// The flow's version hash, as call records name it.
    version: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
    /// No finding is an error.
    ok: bool,
}

/// `POST /api/flows/{name}/check`: the loader's findings on a draft.
#[derive(ToSchema)]
pub struct FlowChecked {
    ok: bool,
    diagnostics: Vec<Diagnostic>,
}

/// `POST /api/flows/{name}/diff`: the draft against the file on disk.
#[derive(ToSchema)]
pub struct FlowDiff {
    added: u64,
    removed: u64,
    lines: Vec<DiffLine>,
}

/// A publish or rollback done: the new stored version.
#[derive(ToSchema)]
pub struct FlowPublished {
    id: i64,
    version: String,
    served: bool,
}

/// A publish or rollback refused (422): the draft has errors; nothing changed.
#[derive(ToSchema)]
pub struct FlowRefused {
    error: String,
    diagnostics: Vec<Diagnostic>,
}

/// `GET /api/flows/{name}/versions/{id}`: one published version with its text.
#[derive(serde::Serialize, ToSchema)]
pub struct FlowVersion {
    #[serde(flatten)]
    publication: FlowPublication,
    source: String,
}

/// `POST /api/calls/{id}/review`: the review as stored.
#[derive(ToSchema)]
pub struct Reviewed {
    call_id: String,
    reviewed_by: String,
    /// Unix time in milliseconds.
    reviewed_at: i64,
    review_note: String,
}
