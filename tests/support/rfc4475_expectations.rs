//! What the RFC 4475 test accepts for each corpus message: its reading of `MANIFEST.tsv`'s last
//! column and of the RFC section each row cites, for a user agent server that answers calls and
//! registers its agents' phones (Digest), and is no proxy or MESSAGE endpoint. Included by `tests/e2e_rfc4475.rs` only.

use super::support::sip_text::Response;

/// A kind of answer the manifest allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// 1xx: the INVITE is being processed.
    Provisional,
    /// 2xx.
    Success,
    Status(u16),
}

impl Reply {
    pub fn matches(self, status: u16) -> bool {
        match self {
            Reply::Provisional => (100..200).contains(&status),
            Reply::Success => (200..300).contains(&status),
            Reply::Status(s) => s == status,
        }
    }
}

/// What the server may answer to one corpus message.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Every response must be one of these; empty means no response at all.
    pub accept: Vec<Reply>,
    /// Getting no response is acceptable.
    pub silence_ok: bool,
    /// For bext01: the option tags a 420 must list in Unsupported.
    pub unsupported: &'static [&'static str],
}

impl Expectation {
    pub fn silent() -> Expectation {
        Expectation {
            accept: Vec::new(),
            silence_ok: true,
            unsupported: &[],
        }
    }

    pub fn any_of(accept: &[Reply]) -> Expectation {
        Expectation {
            accept: accept.to_vec(),
            silence_ok: false,
            unsupported: &[],
        }
    }

    pub fn wants_final(&self) -> bool {
        !self.accept.is_empty()
    }

    /// Headers RFC 3261 requires with some statuses: Allow with 405 (and our 501s), Accept
    /// with 415, Unsupported listing the unknown Require tags with 420.
    pub fn check_headers(&self, response: &Response) -> Option<String> {
        match response.status {
            405 | 501 if response.header("Allow").is_none() => {
                Some(format!("{} without Allow", response.status))
            }
            415 if response.header("Accept").is_none() => Some("415 without Accept".into()),
            420 => {
                let listed = response.header_values("Unsupported");
                let missing: Vec<_> = self
                    .unsupported
                    .iter()
                    .filter(|t| !listed.contains(*t))
                    .collect();
                (!missing.is_empty())
                    .then(|| format!("420 Unsupported {listed:?} lacks {missing:?}"))
            }
            _ => None,
        }
    }
}

/// This test's reading of each manifest row (and the RFC 4475 section it points to) for a user
/// agent server that answers calls and registers agents' phones, and is no proxy or MESSAGE
/// endpoint.
pub fn expectation(file: &str) -> Option<Expectation> {
    use Reply::{Provisional, Status, Success};
    // An INVITE processed normally: ringing or answered.
    const INVITE_OK: [Reply; 2] = [Provisional, Success];
    // REGISTER processed normally: Hotline is a registrar for its agents' phones and challenges
    // every REGISTER without valid Digest credentials (401, RFC 3261 22.1); a UAS that is no
    // registrar says 405 (8.2.1: method inspection before header inspection) or 501.
    const REGISTER_OK: [Reply; 4] = [Success, Status(401), Status(405), Status(501)];
    // An unknown method: 501 or 405, with Allow.
    const UNKNOWN_METHOD: [Reply; 2] = [Status(501), Status(405)];
    let bad_request = || Expectation::any_of(&[Status(400)]);
    let options_ok = || Expectation::any_of(&[Status(200)]);
    Some(match file {
        // wsinv's To carries a tag: a UAS that knows no such dialog answers 481 (RFC 3261
        // 12.2.2), which is processing it normally too.
        "wsinv" => Expectation::any_of(&[Provisional, Success, Status(481)]),
        "esc01" | "longreq" => Expectation::any_of(&INVITE_OK),
        "intmeth" | "esc02" => Expectation::any_of(&UNKNOWN_METHOD),
        "escnull" | "dblreq" | "unksm2" | "cparam01" | "cparam02" | "regescrt" => {
            Expectation::any_of(&REGISTER_OK)
        }
        "lwsdisp" | "semiuri" | "transports" | "badbranch" | "zeromf" => options_ok(),
        // A MESSAGE: a UAS without instant messaging refuses the method; one with it may also
        // refuse the multipart body (415).
        "mpart01" => Expectation::any_of(&[Success, Status(405), Status(501), Status(415)]),
        "unreason" | "noreason" | "scalarlg" | "bigcode" | "bcast" => Expectation::silent(),
        "badinv01" | "clerr" | "ncl" | "scalar02" | "quotbal" | "ltgtruri" | "lwsruri"
        | "lwsstart" | "trws" | "mismatch01" | "insuf" | "multi01" | "mcl01" => bad_request(),
        "escruri" | "baddate" | "inv2543" => {
            Expectation::any_of(&[Provisional, Success, Status(400)])
        }
        // REGISTER with an ambiguous Contact: 400, or refused as a method first (see REGISTER_OK).
        "regbadct" => Expectation::any_of(&[Status(400), Status(405), Status(501)]),
        "badaspec" | "baddn" => Expectation::any_of(&[Status(200), Status(400)]),
        "badvers" => Expectation::any_of(&[Status(505)]),
        // RFC 4475 3.1.2.18: 501 is allowed (and preferred) besides 400.
        "mismatch02" => Expectation::any_of(&[Status(400), Status(501)]),
        "unkscm" | "novelsc" => Expectation::any_of(&[Status(416)]),
        "bext01" => Expectation {
            unsupported: &["nothingSupportsThis", "nothingSupportsThisEither"],
            ..Expectation::any_of(&[Status(420)])
        },
        "invut" => Expectation::any_of(&[Status(415)]),
        "regaut01" => Expectation::any_of(&[Status(401), Status(403), Status(405), Status(501)]),
        "sdp01" => Expectation::any_of(&[Status(406)]),
        // No Via: a 400 cannot be addressed properly, so dropping it is fine too.
        "test" => Expectation {
            silence_ok: true,
            ..bad_request()
        },
        _ => return None,
    })
}
