//! `hotline users`, `hotline tokens` and `hotline audit`: who may use the admin API and the
//! console, managed on the server's machine straight in the store (no API call, so the first
//! admin can be created before anyone can log in). Every change is written to the audit log.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use clap::Subcommand;

use crate::auth::{check_name, secret, Role};
use crate::store::{unix_ms, AuditEntry, Store};

#[derive(Subcommand)]
pub enum UsersAction {
    /// Add a person who logs in to the console (password asked without echo, or read from
    /// standard input with --password-stdin).
    Add {
        name: String,
        /// admin, supervisor or agent (an agent's name is their agent id in the agents file).
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Every user with their role.
    List,
    /// Remove a user and end their sessions.
    Remove { name: String },
}

#[derive(Subcommand)]
pub enum TokensAction {
    /// Add an API token for a machine and print it once (it is stored only as a hash).
    Add {
        name: String,
        /// admin, supervisor or agent.
        #[arg(long)]
        role: String,
    },
    /// Every token's name, role and last use (never the token).
    List,
    /// Revoke a token: requests with it get 401 from now on.
    Revoke { name: String },
}

async fn open(database: &Path) -> anyhow::Result<Store> {
    Ok(Store::open(database).await?)
}

fn time(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

pub async fn users(action: UsersAction, database: &Path) -> anyhow::Result<()> {
    let store = open(database).await?;
    match action {
        UsersAction::Add {
            name,
            role,
            password_stdin,
        } => {
            check_name(&name)?;
            let role = Role::parse(&role)?;
            let password = read_password(password_stdin)?;
            secret::check_password(&password)?;
            let hash =
                tokio::task::spawn_blocking(move || secret::hash_password(&password)).await??;
            if !store.add_user(&name, role, &hash, unix_ms()).await? {
                anyhow::bail!(
                    "a user named {name} already exists: `hotline users remove {name}` first to replace it"
                );
            }
            store
                .audit(
                    &AuditEntry::new(unix_ms(), "cli", "user_added")
                        .target(&name)
                        .detail(role.as_str()),
                )
                .await?;
            println!("added {role} {name}");
        }
        UsersAction::List => {
            println!("{:<24}  {:<10}  CREATED (UTC)", "NAME", "ROLE");
            for user in store.users().await? {
                println!(
                    "{:<24}  {:<10}  {}",
                    user.name,
                    user.role,
                    time(user.created_at)
                );
            }
        }
        UsersAction::Remove { name } => {
            if !store.remove_user(&name).await? {
                anyhow::bail!("there is no user named {name}");
            }
            store
                .audit(&AuditEntry::new(unix_ms(), "cli", "user_removed").target(&name))
                .await?;
            println!("removed {name}");
        }
    }
    Ok(())
}

pub async fn tokens(action: TokensAction, database: &Path) -> anyhow::Result<()> {
    let store = open(database).await?;
    match action {
        TokensAction::Add { name, role } => {
            check_name(&name)?;
            let role = Role::parse(&role)?;
            let token = secret::new_token()?;
            if !store
                .add_token(&name, role, &secret::sha256_hex(&token), unix_ms())
                .await?
            {
                anyhow::bail!(
                    "a token named {name} already exists: `hotline tokens revoke {name}` first to replace it"
                );
            }
            store
                .audit(
                    &AuditEntry::new(unix_ms(), "cli", "token_added")
                        .target(&name)
                        .detail(role.as_str()),
                )
                .await?;
            println!("{token}");
            eprintln!(
                "token {name} ({role}) added; it is shown only now. Send it as: Authorization: Bearer <token>"
            );
        }
        TokensAction::List => {
            println!(
                "{:<24}  {:<10}  {:<19}  LAST USED (UTC)",
                "NAME", "ROLE", "CREATED (UTC)"
            );
            for token in store.tokens().await? {
                println!(
                    "{:<24}  {:<10}  {:<19}  {}",
                    token.name,
                    token.role,
                    time(token.created_at),
                    token
                        .last_used_at
                        .map(time)
                        .unwrap_or_else(|| "never".into())
                );
            }
        }
        TokensAction::Revoke { name } => {
            if !store.revoke_token(&name).await? {
                anyhow::bail!("there is no token named {name}");
            }
            store
                .audit(&AuditEntry::new(unix_ms(), "cli", "token_revoked").target(&name))
                .await?;
            println!("revoked {name}");
        }
    }
    Ok(())
}

/// `hotline audit`: the newest entries, newest first.
pub async fn audit(limit: i64, database: &Path) -> anyhow::Result<()> {
    let store = open(database).await?;
    println!(
        "{:<19}  {:<16}  {:<16}  {:<16}  {:<15}  DETAIL",
        "AT (UTC)", "ACTOR", "ACTION", "TARGET", "ADDRESS"
    );
    for e in store.audit_log(limit).await? {
        println!(
            "{:<19}  {:<16}  {:<16}  {:<16}  {:<15}  {}",
            time(e.at),
            e.actor,
            e.action,
            e.target.unwrap_or_default(),
            e.address.unwrap_or_default(),
            e.detail.unwrap_or_default()
        );
    }
    Ok(())
}

/// The password: the first line of standard input with `--password-stdin`, else asked on the
/// terminal without echo.
pub(crate) fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !from_stdin && !stdin.is_terminal() {
        anyhow::bail!(
            "there is no terminal to ask for the password on: pipe it in with --password-stdin"
        );
    }
    if !from_stdin {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let _echo_off = (!from_stdin).then(EchoOff::new).flatten();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if !from_stdin {
        eprintln!();
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns the terminal's echo off until dropped.
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on standard input with a termios owned by this frame.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}
