//! A call Hotline placed that was answered (a campaign call): its call record, then the same
//! flow task inbound calls run, with the contact's columns as the flow's variables.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::session::{answer_and_talk, Outbound};
use super::{CallSetup, DialogEvent};
use crate::server::{ActiveFlow, Services, SipCommand};
use crate::store::{unix_ms, CallRecord};

/// An answered outbound call to run.
pub struct AnsweredCall {
    pub setup: CallSetup,
    /// The socket the offer named; the answer's media is in `setup.media`.
    pub socket: std::net::UdpSocket,
    pub flow: Arc<ActiveFlow>,
    /// `contact_name`, `contact.name` ... for the flow's texts.
    pub variables: Vec<(String, String)>,
    /// When the INVITE left (Unix ms), for the call record.
    pub started_at: i64,
}

/// Records the call and runs its flow until it ends; returns the call record's id. The SIP
/// task forgets the call (`Gone`) when this returns.
pub async fn run_outbound(
    call: AnsweredCall,
    services: Arc<Services>,
    commands: mpsc::UnboundedSender<SipCommand>,
    mut dialog: mpsc::UnboundedReceiver<DialogEvent>,
) -> Option<String> {
    let sip_call = call.setup.sip_call.clone();
    let id = uuid::Uuid::now_v7().to_string();
    let record = CallRecord {
        id: id.clone(),
        sip_call_id: sip_call.0.clone(),
        direction: "outbound".into(),
        caller: call.setup.caller.clone(),
        callee: call.setup.callee.clone(),
        source: call.setup.source.to_string(),
        started_at: call.started_at,
        answered_at: None,
        ended_at: None,
        hangup_cause: None,
        codec: None,
        flow_name: Some(call.flow.flow.name().to_string()),
        flow_version: Some(call.flow.flow.version_hash().to_string()),
        caller_key: Some(call.setup.caller_key.clone()),
    };
    if let Err(e) = services.store.call_started(&record).await {
        tracing::error!("cannot record campaign call {id}: {e}");
        let _ = commands.send(SipCommand::Hangup(sip_call.clone()));
        let _ = commands.send(SipCommand::Gone(sip_call));
        return None;
    }
    let outbound = Outbound {
        socket: call.socket,
        variables: call.variables,
    };
    let cause = match answer_and_talk(
        &id,
        call.setup,
        &services,
        &commands,
        &mut dialog,
        call.flow,
        Some(outbound),
    )
    .await
    {
        Ok(cause) => cause,
        Err(e) => {
            tracing::error!("campaign call {id} failed: {e}");
            let _ = commands.send(SipCommand::Hangup(sip_call.clone()));
            "server-error".to_string()
        }
    };
    tracing::info!("campaign call {id} ended: {cause}");
    if let Err(e) = services.store.call_ended(&id, unix_ms(), &cause).await {
        tracing::error!("cannot record the end of call {id}: {e}");
    }
    let _ = commands.send(SipCommand::Gone(sip_call));
    Some(id)
}
