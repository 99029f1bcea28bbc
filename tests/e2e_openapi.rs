//! The admin API against its own OpenAPI document: the real server (after one real call, so the
//! call routes have something to answer), `/api/openapi.json` read with the admin token, then
//! schemathesis (installed by scripts/setup.sh) sending generated requests to every route but
//! those that place calls, publish flows or never end (the call routes with the real call's id),
//! and checking that no answer is a server error and that every status, content type and body
//! matches the document's response schemas.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{audio, free_udp_ports, http, workspace_root, Server, ServerOptions, TempDir};

/// The version scripts/setup.sh installs.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The whole schemathesis run may take this long on a loaded 2-core machine (seconds).
const SCHEMATHESIS_LIMIT: &str = "240";

/// Routes left out: campaign actions place calls, publish and rollback change the served flow,
/// the event stream never ends.
const EXCLUDED: [&str; 4] = [
    "/api/campaigns/{name}/{action}",
    "/api/flows/{name}/publish",
    "/api/flows/{name}/rollback",
    "/api/events",
];

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

/// `$HOTLINE_SCHEMATHESIS`, else where scripts/setup.sh puts it.
fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("HOTLINE_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".local/share")
        });
    data.join(format!(
        "hotline/schemathesis-{SCHEMATHESIS_VERSION}/bin/schemathesis"
    ))
}

/// `$HOTLINE_SCHEMATHESIS_<NAME>`, else `default`: a longer hunt by hand, e.g.
/// `HOTLINE_SCHEMATHESIS_EXAMPLES=100 HOTLINE_SCHEMATHESIS_SEED=7 HOTLINE_SCHEMATHESIS_SECONDS=900`.
fn setting(name: &str, default: &str) -> String {
    std::env::var(format!("HOTLINE_SCHEMATHESIS_{name}")).unwrap_or_else(|_| default.to_string())
}

#[test]
fn the_admin_api_answers_as_its_openapi_document_says() {
    let schemathesis = schemathesis();
    assert!(
        schemathesis.is_file(),
        "schemathesis is not at {}: run scripts/setup.sh (or set HOTLINE_SCHEMATHESIS)",
        schemathesis.display()
    );
    let dir = TempDir::new("openapi");
    // The flow editor's routes read the flows directory: a copy, so nothing reaches the checkout.
    std::fs::create_dir_all(dir.join("flows")).unwrap();
    let flow = dir.join("flows/shop.yaml");
    std::fs::copy(workspace_root().join("flows/shop.yaml"), &flow).unwrap();
    let mut options = ServerOptions::new(free_udp_ports(100));
    options.flow = Some(flow.to_string_lossy().into_owned());
    let server = Server::start(&dir, &options);

    // One real call, so the call, search and analytics routes answer with rows.
    let question = dir.join("question.wav");
    audio::espeak_wav("How long does shipping take?", &question);
    let out = server.dial(&["--play", question.to_str().unwrap()]);
    assert!(out.contains("hung up by"), "{out}");

    // The document is there for a token holder, and only for one.
    let (status, _) = http::http_request(server.admin, "GET", "/api/openapi.json", None);
    assert_eq!(status, 401);
    let (status, body) = server.api("GET", "/api/openapi.json", None);
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/calls",
        "/api/calls/{id}",
        "/api/flows/{name}/check",
        "/api/agents",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is not in the document"
        );
    }

    // The call routes get the real call's id, so their 200 answers (the call, its review) are
    // checked against the document too, not only their 404s.
    let call = server.newest_call();
    let config = dir.write(
        "schemathesis.toml",
        &format!(
            "[[operations]]\ninclude-path-regex = \"^/api/calls/\\\\{{id\\\\}}\"\n\
             parameters = {{ \"path.id\" = \"{call}\" }}\n"
        ),
    );

    // Answers are described, not bare objects: a client generator gets the call's fields.
    assert_eq!(
        doc["paths"]["/api/calls/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/CallDetail"
    );
    assert!(doc["components"]["schemas"]["CallRecord"]["properties"]["caller"].is_object());

    let mut command = Command::new(&schemathesis);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("http://{}/api/openapi.json", server.admin))
        .args(["--checks", CHECKS])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", server.token),
        ])
        .args(["--max-examples", &setting("EXAMPLES", "10")])
        .args(["--seed", &setting("SEED", "1"), "--request-timeout", "20"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--suppress-health-check", "all"]);
    for path in EXCLUDED {
        command.args(["--exclude-path", path]);
    }
    let limit = Duration::from_secs(setting("SECONDS", SCHEMATHESIS_LIMIT).parse().unwrap());
    let started = Instant::now();
    let mut child = command
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", schemathesis.display()));
    // Read its output on threads so a full pipe never blocks it.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            // Only the child this test started, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let report = format!("schemathesis stdout:\n{out}\nstderr:\n{err}");
    let Some(status) = status else {
        panic!("schemathesis did not finish in {limit:?}\n{report}");
    };
    eprintln!("schemathesis took {:.0?}\n{out}", started.elapsed());
    assert!(status.success(), "schemathesis found problems\n{report}");
    // It did test the routes (a run that tested nothing also exits 0).
    assert!(out.contains("passed"), "{report}");
    assert!(
        !server.log_text().contains("panicked"),
        "the server panicked"
    );
}
