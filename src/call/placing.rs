//! What every call Hotline places (agent legs, queue callbacks, campaign attempts) starts with:
//! an RTP socket of its own and the SDP offer that names it.

use crate::error::HotlineError;
use crate::server::Services;

/// A bound RTP socket and the offer to send in the INVITE.
pub struct Offer {
    pub socket: std::net::UdpSocket,
    pub sdp: String,
}

/// Binds an RTP port from the configured range and writes the offer of the configured codecs.
pub fn rtp_offer(services: &Services) -> Result<Offer, HotlineError> {
    let socket = services.bind_rtp()?;
    let local = socket.local_addr().map_err(|source| HotlineError::Socket {
        addr: "rtp".into(),
        source,
    })?;
    let sdp = super::offer_sdp(
        local,
        rand::random::<u32>() as u64,
        &services.config.rtp.codecs,
    );
    Ok(Offer { socket, sdp })
}
