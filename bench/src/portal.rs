//! Our release binary as a benchmark's server, and a signed-in organisation
//! on it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use crate::process::{Server, free_addr};

const PIN: &str = "482915";

/// The database a benchmark's portal runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A file in the benchmark's folder.
    Sqlite,
    /// A new database in the cluster `scripts/with-postgres.sh` started
    /// (its URL, of the cluster's `postgres` database).
    Postgres(String),
}

impl Backend {
    /// SQLite, and PostgreSQL when run under `scripts/with-postgres.sh`.
    pub fn available() -> Vec<Self> {
        let mut backends = vec![Self::Sqlite];
        if let Ok(cluster) = std::env::var("PORTAL_TEST_POSTGRES") {
            backends.push(Self::Postgres(cluster));
        }
        backends
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres(_) => "PostgreSQL",
        }
    }

    /// A new, empty database's URL.
    pub async fn fresh_database(&self, dir: &Path) -> anyhow::Result<String> {
        match self {
            Self::Sqlite => Ok(format!("sqlite://{}/portal.db", dir.display())),
            Self::Postgres(cluster) => {
                use sqlx::Connection;
                static MADE: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let name = format!("bench_{}_{n}", std::process::id());
                let mut admin = sqlx::PgConnection::connect(cluster).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut admin)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                Ok(cluster.replacen("/postgres?", &format!("/{name}?"), 1))
            }
        }
    }
}

/// `portal-server` (release, next to this binary) pinned to the server core,
/// with a fresh database; killed on drop.
pub struct Portal {
    pub server: Server,
    pub addr: SocketAddr,
}

impl Portal {
    /// Starts it on `backend` with only the `PORTAL_` settings given here
    /// and in `settings`.
    pub async fn start(
        dir: &Path,
        backend: &Backend,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let database_url = backend.fresh_database(dir).await?;
        let mut settings = settings.to_vec();
        let keys = match backend {
            Backend::Sqlite => Vec::new(),
            Backend::Postgres(_) => keys(dir)?,
        };
        settings.extend(keys.iter().map(|(k, v)| (*k, v.as_str())));
        Self::spawn(dir, &database_url, &settings).await
    }

    /// `n` instances on one new PostgreSQL database, as a platform runs
    /// them: the same keys, and the rate limits in the Redis of
    /// `scripts/with-postgres.sh --redis`. Their public URL is the first's.
    pub async fn start_instances(
        dir: &Path,
        backend: &Backend,
        settings: &[(&str, &str)],
        n: usize,
    ) -> anyhow::Result<Vec<Self>> {
        ensure!(
            matches!(backend, Backend::Postgres(_)),
            "several instances share a PostgreSQL database"
        );
        let redis = std::env::var("PORTAL_TEST_REDIS_URL")
            .context("run under scripts/with-postgres.sh --redis")?;
        let database_url = backend.fresh_database(dir).await?;
        let keys = keys(dir)?;
        let mut shared: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
        shared.push(("PORTAL_REDIS_URL", &redis));
        shared.extend_from_slice(settings);
        let mut instances: Vec<Self> = Vec::with_capacity(n);
        for i in 0..n {
            let dir = dir.join(format!("instance-{i}"));
            std::fs::create_dir_all(&dir)?;
            let public = instances.first().map(|first| first.at(""));
            let mut settings = shared.clone();
            if let Some(public) = &public {
                settings.push(("PORTAL_PUBLIC_URL", public));
            }
            instances.push(Self::spawn(&dir, &database_url, &settings).await?);
        }
        Ok(instances)
    }

    async fn spawn(
        dir: &Path,
        database_url: &str,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let program = program()?;
        let addr = free_addr()?;
        let mut command = Server::pinned(&program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PORTAL_") {
                command.env_remove(key);
            }
        }
        command
            .env("PORTAL_ADDR", addr.to_string())
            .env("PORTAL_PUBLIC_URL", format!("http://{addr}"))
            .env("PORTAL_DATABASE_URL", database_url)
            .env("PORTAL_DATA_DIR", dir)
            .env("PORTAL_DIST", dir.join("no-dist"))
            // Warnings only, but the mail (the confirmation link) is printed.
            .env("PORTAL_LOG", "warn,portal_server::mail=info")
            .env("PORTAL_PRINT_MAIL", "true")
            .envs(settings.iter().copied());
        let server = Server::spawn("portal-server", command, dir.join("portal-server.log"))?;
        let mut portal = Self { server, addr };
        portal
            .server
            .wait_until_up(&portal.at("/api/health"))
            .await?;
        Ok(portal)
    }

    pub fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Keys every instance on PostgreSQL is given, made by `keys init` in
/// `dir/keys`, as the settings that name them.
fn keys(dir: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let keys = dir.join("keys");
    let made = std::process::Command::new(program()?)
        .args(["keys", "init", "--dir"])
        .arg(&keys)
        .output()?;
    ensure!(made.status.success(), "keys init: {made:?}");
    let file = |name: &str| keys.join(name).display().to_string();
    Ok(vec![
        ("PORTAL_TOKEN_KEYS_FILE", file("token-signing.key")),
        ("PORTAL_WEBHOOK_KEY_FILE", file("webhook-secrets.key")),
    ])
}

/// The release `portal-server` next to this binary.
fn program() -> anyhow::Result<std::path::PathBuf> {
    let program = std::env::current_exe()?.with_file_name("portal-server");
    ensure!(
        program.exists(),
        "{} is missing: run `cargo build --release -p portal-server` first",
        program.display()
    );
    Ok(program)
}

impl Portal {
    /// Signs up an organisation (the confirmation link comes from the log)
    /// and creates a sandbox project in it.
    pub async fn project(&self) -> anyhow::Result<Project<'_>> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", self.at("").parse()?);
        headers.insert("x-portal-request", "1".parse()?);
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()?;
        let mut project = Project {
            portal: self,
            browser,
            id: String::new(),
        };
        project
            .post(
                "/api/signup",
                json!({ "organisation_name": "Bench Org", "full_name": "Ada Lovelace",
                    "email": "bench@acme.test", "password": "correct horse battery", "pin": PIN }),
            )
            .await
            .context("signing up")?;
        let token = self.confirmation_token().await?;
        project
            .post("/api/signup/confirm", json!({ "token": token }))
            .await
            .context("confirming the sign-up")?;
        let created = project
            .post(
                "/api/projects",
                json!({ "name": "Bench", "environment": "sandbox" }),
            )
            .await
            .context("creating a project")?;
        created["id"]
            .as_str()
            .context("a project id")?
            .clone_into(&mut project.id);
        Ok(project)
    }

    /// The token of the confirmation link the server printed.
    async fn confirmation_token(&self) -> anyhow::Result<String> {
        const MARKER: &str = "/signup/confirm?token=";
        for _ in 0..50 {
            let log = self.server.log();
            if let Some(start) = log.find(MARKER) {
                return Ok(log[start + MARKER.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no confirmation link in the log:\n{}", self.server.log())
    }
}

/// A sandbox project, and the browser session of its organisation's superadmin.
pub struct Project<'a> {
    portal: &'a Portal,
    browser: reqwest::Client,
    pub id: String,
}

impl Project<'_> {
    /// The superadmin's browser: signed in, with the account's device cookie.
    pub fn browser(&self) -> &reqwest::Client {
        &self.browser
    }

    /// A credential with `scopes`: its client id and secret.
    pub async fn credential(&self, scopes: &[&str]) -> anyhow::Result<(String, String)> {
        let created = self
            .post(
                &format!("/api/projects/{}/credentials", self.id),
                json!({ "description": "Benchmark", "scopes": scopes, "pin": PIN }),
            )
            .await
            .context("creating a credential")?;
        let client_id = created["client_id"].as_str().context("a client id")?;
        let secret = created["client_secret"]
            .as_str()
            .context("a client secret")?;
        Ok((client_id.to_owned(), secret.to_owned()))
    }

    /// POSTs JSON in the session; the answer must be a 2xx, its JSON (or null) returned.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        post(&self.browser, &self.portal.at(path), body).await
    }

    /// POSTs JSON outside the session, as a partner would.
    pub async fn post_as_partner(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        post(&reqwest::Client::new(), &self.portal.at(path), body).await
    }
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> anyhow::Result<Value> {
    let response = client.post(url).json(&body).send().await?;
    let status = response.status();
    let text = response.text().await?;
    ensure!(status.is_success(), "{status}: {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}
