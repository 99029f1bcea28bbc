//! `hotline campaigns start|pause|resume|stop NAME` (sent to the running server's admin API: the
//! runner lives in the server), `status NAME` and `results NAME --csv` (read from the store, so
//! they answer with the server down too).

use anyhow::bail;

use crate::campaign::{control_status, report, Action};
use crate::cli_agents::{client, failure, path_segment};
use crate::cli_campaigns::Server;

pub async fn control(server: &Server, name: &str, action: Action) -> anyhow::Result<()> {
    let admin = client(
        server.admin.clone(),
        server.token.clone(),
        server.admin_listen,
    )?;
    let verb = match action {
        Action::Start => "start",
        Action::Pause => "pause",
        Action::Resume => "resume",
        Action::Stop => "stop",
    };
    let url = admin.url(&format!("/api/campaigns/{}/{verb}", path_segment(name)));
    let (status, body) = admin.send(admin.http.post(url)).await?;
    if !(200..300).contains(&status) {
        return Err(failure(status, &body));
    }
    println!(
        "{}.",
        body["message"]
            .as_str()
            .unwrap_or("done")
            .trim_end_matches('.')
    );
    Ok(())
}

async fn open(server: &Server) -> anyhow::Result<crate::store::Store> {
    if !server.database.exists() {
        bail!(
            "there is no call database at {}: has `hotline serve` run here? (store.database, or --database)",
            server.database.display()
        );
    }
    Ok(crate::store::Store::open(&server.database).await?)
}

pub async fn status(server: &Server, name: &str) -> anyhow::Result<()> {
    let store = open(server).await?;
    let (state, s) = control_status(&store, &server.dir, name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Campaign {name}: {state}.");
    println!("  attempted          {}", s.attempted);
    println!("  in progress        {}", s.in_progress);
    println!("  reached            {}", s.reached);
    println!("    a person         {}", s.reached_person);
    println!("    a machine        {}", s.reached_machine);
    println!("  failed             {}", s.failed);
    println!("  do-not-call        {}", s.skipped_do_not_call);
    println!("  waiting for retry  {}", s.waiting_for_retry);
    println!("  not yet called     {}", s.not_yet_called);
    Ok(())
}

pub async fn results(server: &Server, name: &str) -> anyhow::Result<()> {
    let store = open(server).await?;
    let rows = store.campaign_attempts(name).await?;
    print!("{}", report::results_csv(&rows));
    Ok(())
}
