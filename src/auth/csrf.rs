//! Cross-site request forgery: a state-changing request that a browser session cookie
//! authenticates must also carry the session's own CSRF token (a synchronizer token: random per
//! session, kept server-side with the session, put in the console page, sent back in the
//! `X-CSRF-Token` header or a `csrf` form field), and must not come from another site when the
//! browser says where it comes from (`Sec-Fetch-Site`). Bearer-token requests are not checked:
//! a browser never adds that header by itself. See docs/decisions.md.

use super::secret::same;

/// Why a request was refused (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// The browser says the request comes from another site.
    CrossSite,
    /// No CSRF token came with the request.
    Missing,
    /// A CSRF token came, but not this session's.
    Mismatch,
}

impl CsrfRefusal {
    pub fn message(self) -> &'static str {
        match self {
            CsrfRefusal::CrossSite => "refused: the request came from another site",
            CsrfRefusal::Missing => "refused: a CSRF token (X-CSRF-Token header) is required",
            CsrfRefusal::Mismatch => "refused: the CSRF token is not this session's",
        }
    }
}

/// Methods that change nothing: no token needed.
pub fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// `Sec-Fetch-Site` values a request may come with: the same origin, or typed by the user.
/// Absent (older browsers, curl) is allowed; the token check still applies.
pub fn same_site(sec_fetch_site: Option<&str>) -> Result<(), CsrfRefusal> {
    match sec_fetch_site {
        None | Some("same-origin") | Some("none") => Ok(()),
        Some(_) => Err(CsrfRefusal::CrossSite),
    }
}

/// The check for a request a session cookie authenticates: `expected` is the session's token,
/// `presented` what came in the header or form field.
pub fn check(
    method: &str,
    sec_fetch_site: Option<&str>,
    expected: &str,
    presented: Option<&str>,
) -> Result<(), CsrfRefusal> {
    if is_safe(method) {
        return Ok(());
    }
    same_site(sec_fetch_site)?;
    match presented {
        None | Some("") => Err(CsrfRefusal::Missing),
        Some(token) if same(token, expected) => Ok(()),
        Some(_) => Err(CsrfRefusal::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_needs_no_token() {
        assert_eq!(check("GET", Some("cross-site"), "t", None), Ok(()));
        assert_eq!(check("HEAD", None, "t", None), Ok(()));
    }

    #[test]
    fn a_change_needs_this_sessions_token() {
        assert_eq!(check("POST", None, "t0k", Some("t0k")), Ok(()));
        assert_eq!(
            check("POST", Some("same-origin"), "t0k", Some("t0k")),
            Ok(())
        );
        assert_eq!(check("POST", None, "t0k", None), Err(CsrfRefusal::Missing));
        assert_eq!(
            check("DELETE", None, "t0k", Some("")),
            Err(CsrfRefusal::Missing)
        );
        assert_eq!(
            check("POST", None, "t0k", Some("t0j")),
            Err(CsrfRefusal::Mismatch)
        );
    }

    #[test]
    fn another_site_is_refused_even_with_a_token() {
        assert_eq!(
            check("POST", Some("cross-site"), "t0k", Some("t0k")),
            Err(CsrfRefusal::CrossSite)
        );
        assert_eq!(
            check("POST", Some("same-site"), "t0k", Some("t0k")),
            Err(CsrfRefusal::CrossSite)
        );
        assert_eq!(same_site(Some("none")), Ok(()));
    }
}
