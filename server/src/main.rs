//! `portal-server`: runs the portal, or administers organisations.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::OrganisationId;
use portal_server::clock::SystemClock;
use portal_server::config::Config;
use portal_server::store::{Store, organisations};
use portal_server::tokens::{self, KeySet};
use portal_server::webhooks::vault;
use portal_server::{app, keyfile};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "portal-server", version, about = "Partner Portal server")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Operator commands for organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Operator commands for the database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Operator commands for the token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make the keys several instances share: DIR/token-signing.key and
    /// DIR/webhook-secrets.key. Give every instance PORTAL_TOKEN_KEYS_FILE
    /// and PORTAL_WEBHOOK_KEY_FILE pointing at them.
    Init {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Add a new token signing key in front: it signs from now on; tokens
    /// signed with the old one keep verifying until they expire.
    Rotate {
        /// The key set file (default: PORTAL_TOKEN_KEYS_FILE, else the data folder's).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Remove every key but the newest: tokens signed with the old ones stop
    /// verifying. Wait until they have expired (30 minutes after a rotation).
    Retire {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List the keys, newest (the one that signs) first.
    List {
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Copy every row of a SQLite database (stop its portal first) into an
    /// empty PostgreSQL database, and check the counts. Keep the data folder:
    /// the keys in it stay the same.
    Copy {
        /// The SQLite database, e.g. sqlite://data/portal.db
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database, e.g. postgres://portal@db.internal/portal.
        /// Give it by the environment when it holds a password: a command
        /// line is visible to every user of the machine (`ps`).
        #[arg(long, env = "PORTAL_COPY_TO", hide_env_values = true)]
        to: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// List organisations with their status.
    List,
    /// Approve an organisation so it can create credentials.
    Approve { id: String },
    /// Suspend an organisation: its members can no longer sign in.
    Suspend { id: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&cli.config.log)?)
        // Colours for a terminal; plain text for a file or a journal.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Org(command) => org(cli.config, command).await,
        Command::Keys(command) => keys(&cli.config, command),
        Command::Db(DbCommand::Copy { from, to }) => {
            let copied = portal_server::store::copy::copy(&from, &to).await?;
            println!("{:<20} {:>10}", "TABLE", "ROWS");
            for (table, rows) in copied.0 {
                println!("{table:<20} {rows:>10}");
            }
            println!(
                "Copied, and the counts match. Start the portal with PORTAL_DATABASE_URL set to the \
                 target and the same data folder (its keys sign tokens and open webhook secrets)."
            );
            Ok(())
        }
    }
}

async fn serve(mut config: Config) -> anyhow::Result<()> {
    let listener = listen(config.addr).await?;
    let bound = listener.local_addr()?;
    if config.public_url.is_empty() {
        config.public_url = format!("http://{bound}");
    }
    let public_url = config.public_url.clone();
    let (app, state) = app::build(config, Arc::new(SystemClock)).await?;
    // Test harnesses read the address from this line (`--addr` with port 0).
    tracing::info!("Partner Portal is listening on http://{bound}; open {public_url}");
    app::serve(listener, app, state, app::shutdown_signal()).await
}

/// The socket handed over by a service manager (systemd socket activation,
/// `LISTEN_FDS`), so that a restart never closes the port; otherwise `addr`.
async fn listen(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    if let Some(inherited) = listenfd::ListenFd::from_env().take_tcp_listener(0)? {
        inherited.set_nonblocking(true)?;
        return Ok(tokio::net::TcpListener::from_std(inherited)?);
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {addr}: {e}"))
}

fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    let file = |given: Option<PathBuf>| {
        given
            .or_else(|| config.token_keys_file.clone())
            .unwrap_or_else(|| config.data_dir.join(tokens::KEY_FILE))
    };
    let (path, keys) = match command {
        KeysCommand::Init { dir } => {
            let (token, webhook) = (dir.join(tokens::KEY_FILE), dir.join(vault::KEY_FILE));
            anyhow::ensure!(
                !token.exists() && !webhook.exists(),
                "{} already has keys: keep them, or remove them first",
                dir.display()
            );
            std::fs::create_dir_all(&dir)?;
            KeySet::generate().write(&token)?;
            keyfile::load_or_create(&webhook, "webhook secret key")?;
            println!(
                "PORTAL_TOKEN_KEYS_FILE={}\nPORTAL_WEBHOOK_KEY_FILE={}",
                token.display(),
                webhook.display()
            );
            return Ok(());
        }
        KeysCommand::Rotate { file: f } => {
            let path = file(f);
            let mut keys = KeySet::read(&path)?;
            keys.rotate();
            keys.write(&path)?;
            println!(
                "{} now signs with a new key; the old ones still verify.",
                path.display()
            );
            (path, keys)
        }
        KeysCommand::Retire { file: f } => {
            let path = file(f);
            let mut keys = KeySet::read(&path)?;
            let retired = keys.retire();
            keys.write(&path)?;
            println!("retired {} key(s): {}", retired.len(), retired.join(", "));
            (path, keys)
        }
        KeysCommand::List { file: f } => {
            let path = file(f);
            let keys = KeySet::read(&path)?;
            (path, keys)
        }
    };
    println!("{}:", path.display());
    for (n, kid) in keys.kids().into_iter().enumerate() {
        println!("  {kid}{}", if n == 0 { "  (signs)" } else { "" });
    }
    Ok(())
}

async fn org(config: Config, command: OrgCommand) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url, &config.database_options()).await?;
    let (id, status) = match command {
        OrgCommand::List => {
            let orgs = organisations::list(&store).await?;
            println!("{:<26} {:<10} NAME", "ID", "STATUS");
            for o in orgs {
                println!("{:<26} {:<10} {}", o.id, o.status.as_str(), o.name);
            }
            return Ok(());
        }
        OrgCommand::Approve { id } => (id, OrganisationStatus::Approved),
        OrgCommand::Suspend { id } => (id, OrganisationStatus::Suspended),
    };
    if organisations::set_status(&store, &OrganisationId(id.clone()), status).await? {
        println!("{id} is now {}", status.as_str());
        Ok(())
    } else {
        anyhow::bail!("no organisation with id {id}")
    }
}
