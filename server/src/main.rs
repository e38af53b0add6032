//! `portal-server`: runs the portal, or administers organisations.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use portal_contract::accounts::OrganisationStatus;
use portal_server::clock::SystemClock;
use portal_server::config::Config;
use portal_server::{app, db};
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
        .init();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Org(command) => org(cli.config, command).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.addr;
    let public_url = config.public_url.clone();
    let (app, state) = app::build(config, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "Partner Portal is listening; open {public_url}");
    app::serve(listener, app, state, app::shutdown_signal()).await
}

async fn org(config: Config, command: OrgCommand) -> anyhow::Result<()> {
    let db = db::connect(&config.database_url).await?;
    let (id, status) = match command {
        OrgCommand::List => {
            let orgs = db::organisations::list(&db).await?;
            println!("{:<26} {:<10} NAME", "ID", "STATUS");
            for o in orgs {
                println!("{:<26} {:<10} {}", o.id, o.status, o.name);
            }
            return Ok(());
        }
        OrgCommand::Approve { id } => (id, OrganisationStatus::Approved),
        OrgCommand::Suspend { id } => (id, OrganisationStatus::Suspended),
    };
    if db::organisations::set_status(&db, &id, status).await? {
        println!("{id} is now {}", status.as_str());
        Ok(())
    } else {
        anyhow::bail!("no organisation with id {id}")
    }
}
