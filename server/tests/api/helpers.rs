//! `spawn_app()`: a real server on a free port with a fresh database, a
//! controllable clock, and a client that behaves like the portal's app.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use portal_server::app;
use portal_server::clock::TestClock;
use portal_server::config::Config;
use portal_server::mail::{Mail, Mailer};
use portal_server::state::AppState;
use portal_server::store::outbox::OutboxMail;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";
pub const PIN: &str = "482915";

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    /// The server's database, for what the API doesn't show.
    pub db: TestDb,
    pub clock: Arc<TestClock>,
    /// The first browser: keeps cookies like the portal's app does.
    pub client: reqwest::Client,
    pub _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let dist = write_dist(dir.path());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::defaults();
    config.database_url = fresh_database(dir.path()).await;
    if config.database_url.starts_with("postgres") {
        let (token_keys, webhook_key) = shared_keys(dir.path());
        config.token_keys_file = Some(token_keys);
        config.webhook_key_file = Some(webhook_key);
    }
    if let Some(redis) = test_redis() {
        config.redis_url = Some(redis);
        config.redis_prefix = redis_prefix(dir.path());
    }
    config.data_dir = dir.path().to_owned();
    config.dist = dist;
    config.public_url = url.clone();
    configure(&mut config);

    let clock = Arc::new(TestClock::default());
    let database_url = config.database_url.clone();
    // Without an SMTP server the test reads what would have been mailed.
    let (router, state) = match config.smtp_url {
        Some(_) => app::build(config, clock.clone()).await.unwrap(),
        None => app::build_with_mailer(config, clock.clone(), Mailer::memory())
            .await
            .unwrap(),
    };
    let db = TestDb::connect(&database_url).await;
    tokio::spawn(app::serve(
        listener,
        router,
        state.clone(),
        std::future::pending(),
    ));
    let client = browser(&url);
    TestApp {
        url,
        state,
        db,
        clock,
        client,
        _dir: dir,
    }
}

/// The Redis of this test run, if any: `scripts/with-postgres.sh --redis`
/// starts one, and then every test's rate limits live there.
pub fn test_redis() -> Option<String> {
    std::env::var("PORTAL_TEST_REDIS_URL").ok()
}

/// A Redis key prefix of the test's own, so tests sharing the run's Redis
/// don't share limits.
pub fn redis_prefix(dir: &std::path::Path) -> String {
    let name = dir.file_name().unwrap().to_string_lossy();
    format!("test-{name}")
}

/// A stand-in for the app's build under `dir`: both apps' HTML with an inline
/// loader (for the CSP hashes), one hashed asset, and each app's list of
/// page modules.
pub fn write_dist(dir: &std::path::Path) -> std::path::PathBuf {
    let dist = dir.join("dist");
    for (app, boot) in [("app", "boot()"), ("auth", "bootSignIn()")] {
        std::fs::create_dir_all(dist.join(app)).unwrap();
        std::fs::write(
            dist.join(app).join("index.html"),
            format!(
                "<!doctype html><title>Portal</title><script type=\"module\">{boot}</script></head><body></body>"
            ),
        )
        .unwrap();
    }
    // What `scripts/split-wasm.sh` writes: the modules a page of the
    // portal app loads before it shows.
    std::fs::write(
        dist.join("app/chunks.json"),
        r#"{"team": ["/app/split_team_page-1.wasm", "/app/chunk_9-2.wasm"],
            "webhook": ["/app/split_webhook_page-3.wasm", "/app/chunk_9-2.wasm"]}"#,
    )
    .unwrap();
    // And the sign-in app's (its pages but the sign-in page's own).
    std::fs::write(
        dist.join("auth/chunks.json"),
        r#"{"invite": ["/auth/split_invite_page-4.wasm", "/auth/chunk_2-5.wasm"],
            "sign_up": ["/auth/split_sign_up_page-6.wasm", "/auth/chunk_2-5.wasm"]}"#,
    )
    .unwrap();
    std::fs::write(
        dist.join("app/portal-0123abcd.js"),
        "export function boot() {}\n".repeat(20),
    )
    .unwrap();
    // An asset with the compressed copies `make app` writes (their bytes
    // stand in: the server passes them through).
    std::fs::write(
        dist.join("app/portal-0123abcd_bg.wasm"),
        b"\0asm wasm".repeat(50),
    )
    .unwrap();
    std::fs::write(
        dist.join("app/portal-0123abcd_bg.wasm.br"),
        "brotli 11 copy",
    )
    .unwrap();
    std::fs::write(dist.join("app/portal-0123abcd_bg.wasm.gz"), "gzip -9 copy").unwrap();
    dist
}

/// A client with its own cookie jar that sends what the app sends.
pub fn browser(url: &str) -> reqwest::Client {
    browser_at(url, Ipv4Addr::LOCALHOST)
}

/// A browser on another machine: its requests come from `address` (any
/// 127.x.y.z reaches the server over loopback), so it has limits of its own.
pub fn browser_at(url: &str, address: Ipv4Addr) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("origin", HeaderValue::from_str(url).unwrap());
    headers.insert("x-portal-request", HeaderValue::from_static("1"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .local_address(IpAddr::V4(address))
        .build()
        .unwrap()
}

pub fn sign_up_body(email: &str) -> Value {
    json!({
        "organisation_name": "Acme Payments",
        "full_name": "Ada Lovelace",
        "email": email,
        "password": PASSWORD,
        "pin": PIN,
    })
}

impl TestApp {
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.at(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.at(path)).send().await.unwrap()
    }

    pub async fn sign_up(&self, email: &str) -> reqwest::Response {
        self.post("/api/signup", &sign_up_body(email)).await
    }

    /// What the app's (superadmin's) browser reads at `paths`: compared
    /// before and after a refused request, it shows that nothing changed.
    pub async fn snapshot(&self, paths: &[String]) -> Vec<Value> {
        // Uses noted before now are written first, so "last used" can't
        // change between two snapshots by the background writer's timing.
        self.state.usage.flush(&self.state.store).await.unwrap();
        let mut seen = Vec::new();
        for path in paths {
            let r = self.get(path).await;
            assert_eq!(r.status(), 200, "snapshot of {path}");
            seen.push(r.json().await.unwrap());
        }
        seen
    }

    /// How many rows `rows` has: a table, with a `WHERE` if need be.
    pub async fn count(&self, rows: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {rows}"))
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The mail the server sent to `to`, newest first (kept by its memory
    /// mailer; with an SMTP server configured, there is none here).
    pub async fn mails_to(&self, to: &str) -> Vec<Mail> {
        let mut mails: Vec<Mail> = self
            .state
            .mailer
            .kept()
            .into_iter()
            .filter(|m| m.to == to)
            .collect();
        mails.reverse();
        mails
    }

    /// The outbox's rows for `to`, newest first.
    pub async fn outbox_to(&self, to: &str) -> Vec<OutboxMail> {
        portal_server::store::outbox::to_address(&self.state.store, to)
            .await
            .unwrap()
    }

    /// The token of the newest confirmation link mailed to `to`.
    pub async fn confirmation_token(&self, to: &str) -> String {
        let mails = self.mails_to(to).await;
        let body = mails
            .iter()
            .map(|m| m.body.as_str())
            .find(|b| b.contains("/signup/confirm?token="))
            .expect("a confirmation mail");
        token_in(body, "/signup/confirm?token=")
    }

    /// Signs up and confirms `email`; the app's client is then signed in.
    pub async fn confirmed_user(&self, email: &str) -> Value {
        assert_eq!(self.sign_up(email).await.status(), 202);
        let token = self.confirmation_token(email).await;
        let response = self
            .post("/api/signup/confirm", &json!({ "token": token }))
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// The token that follows `marker` in a mail body.
pub fn token_in(body: &str, marker: &str) -> String {
    let start = body.find(marker).expect("link in mail") + marker.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

impl TestApp {
    /// Waits until the delivery worker has twice more looked for due
    /// deliveries, so that whatever was due when this was called has been
    /// claimed; then lets a claimed attempt reach a local receiver.
    pub async fn worker_caught_up(&self) {
        let start = self.state.deliverer.passes();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.state.deliverer.passes() < start + 2 {
            assert!(Instant::now() < deadline, "the delivery worker stopped");
            self.state.deliverer.wake();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends a request and reads its answer's JSON body, whatever the status:
/// for the steps of a test that set something up through another client
/// (another organisation, a member) and only need what it answers.
pub trait SendJson {
    fn send_json(self) -> impl Future<Output = Value>;
}

impl SendJson for reqwest::RequestBuilder {
    async fn send_json(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// Asserts a 429 answer of the portal API: the `rate_limited` body and a
/// `Retry-After` of `retry_after` seconds.
pub async fn rate_limited(response: reqwest::Response, retry_after: u64) -> Value {
    assert_eq!(
        response.headers()["retry-after"].to_str().unwrap(),
        retry_after.to_string(),
        "Retry-After"
    );
    error_body(response, 429, "rate_limited").await
}

/// Asserts the JSON error body's code and returns the body.
pub async fn error_body(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.len() > 10),
        "a human message: {body}"
    );
    body
}

/// A member of the app's organisation, with their own cookie jar.
pub struct Member {
    pub client: reqwest::Client,
    pub id: String,
}

impl TestApp {
    /// The token of the newest invitation link mailed to `to`.
    pub async fn invitation_token(&self, to: &str) -> String {
        let mails = self.mails_to(to).await;
        let body = mails
            .iter()
            .map(|m| m.body.as_str())
            .find(|b| b.contains("/invite?token="))
            .expect("an invitation mail");
        token_in(body, "/invite?token=")
    }

    /// `client` invites `email` as `role`.
    pub async fn invite(
        &self,
        client: &reqwest::Client,
        email: &str,
        role: &str,
    ) -> reqwest::Response {
        // The PIN only counts for an admin or superadmin; every member the
        // tests make has PIN.
        client
            .post(self.at("/api/invitations"))
            .json(&json!({ "email": email, "role": role, "pin": PIN }))
            .send()
            .await
            .unwrap()
    }

    /// Accepts the invitation mailed to `email` in a new browser.
    pub async fn accept(&self, email: &str) -> Member {
        let token = self.invitation_token(email).await;
        let client = browser(&self.url);
        let response = client
            .post(self.at("/api/invitations/accept"))
            .json(&json!({ "token": token, "full_name": "Grace Hopper", "password": PASSWORD, "pin": PIN }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "accept");
        let session: Value = response.json().await.unwrap();
        Member {
            client,
            id: session["user"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Invites (as the app's signed-in client) and accepts a member with `role`.
    pub async fn member(&self, email: &str, role: &str) -> Member {
        assert_eq!(self.invite(&self.client, email, role).await.status(), 201);
        self.accept(email).await
    }
}

impl TestApp {
    /// The superadmin of another organisation (Eve's), signed in in her own browser.
    pub async fn other_organisation(&self) -> reqwest::Client {
        self.organisation_of("eve@evil.test").await
    }

    /// A new organisation, signed up by `email`: its superadmin's browser.
    pub async fn organisation_of(&self, email: &str) -> reqwest::Client {
        let eve = browser(&self.url);
        let signup = eve
            .post(self.at("/api/signup"))
            .json(&sign_up_body(email))
            .send()
            .await
            .unwrap();
        assert_eq!(signup.status(), 202);
        let token = self.confirmation_token(email).await;
        let confirm = eve
            .post(self.at("/api/signup/confirm"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 200);
        eve
    }
}

/// A credential as its create answer shows it: the one time the secret is seen.
pub struct NewCredential {
    pub client_id: String,
    pub client_secret: String,
}

impl TestApp {
    /// Creates a project (as the app's signed-in client) and returns its id.
    pub async fn project(&self, name: &str, environment: &str) -> String {
        let response = self
            .post(
                "/api/projects",
                &json!({ "name": name, "environment": environment }),
            )
            .await;
        assert_eq!(response.status(), 201, "create project");
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// `client` creates a credential under `project`.
    pub async fn create_credential(
        &self,
        client: &reqwest::Client,
        project: &str,
        body: &Value,
    ) -> reqwest::Response {
        client
            .post(self.at(&format!("/api/projects/{project}/credentials")))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a credential with `scopes` (as the app's signed-in client).
    pub async fn credential(&self, project: &str, scopes: &[&str]) -> NewCredential {
        let response = self
            .create_credential(
                &self.client,
                project,
                &json!({ "description": "Checkout backend", "scopes": scopes, "pin": PIN }),
            )
            .await;
        assert_eq!(response.status(), 201, "create credential");
        let body: Value = response.json().await.unwrap();
        NewCredential {
            client_id: body["client_id"].as_str().unwrap().to_owned(),
            client_secret: body["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// Asks the token endpoint with a JSON body, as Monite's guide does.
    pub async fn token(&self, client_id: &str, client_secret: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.at("/v1/auth/token"))
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            }))
            .send()
            .await
            .unwrap()
    }

    /// An access token for the credential.
    pub async fn access_token(&self, client_id: &str, client_secret: &str) -> String {
        let response = self.token(client_id, client_secret).await;
        assert_eq!(response.status(), 200, "token");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// `GET /v1/whoami` with `token`.
    pub async fn whoami(&self, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.at("/v1/whoami"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `client` sends `method` to `path` with a JSON body.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        client
            .request(method, self.at(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Publishes order `n` through `POST /v1/events` at `url`: the event's id
/// once answered 202, or `None` (no answer, or another status) to try again.
pub async fn publish_order(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    n: usize,
) -> Option<String> {
    let response = client
        .post(format!("{url}/v1/events"))
        .bearer_auth(token)
        .json(&json!({ "type": "order.created", "data": { "order": n } }))
        .send()
        .await
        .ok()
        .filter(|r| r.status() == 202)?;
    let event: Value = response.json().await.ok()?;
    Some(event["id"].as_str()?.to_owned())
}

/// Asserts an OAuth2 error answer (RFC 6749 §5.2 / RFC 6750) and returns its body.
pub async fn oauth_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|m| m.len() > 10),
        "a clear description: {body}"
    );
    body
}

/// A new, empty database for one test: a SQLite file in `dir`, or, when
/// the suite runs on PostgreSQL (`scripts/with-postgres.sh` sets
/// `PORTAL_TEST_POSTGRES`), a new database in that cluster.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    let Ok(cluster) = std::env::var("PORTAL_TEST_POSTGRES") else {
        return format!("sqlite://{}/portal.db", dir.display());
    };
    use sqlx::Connection;
    let name = portal_server::crypto::new_id("test_");
    let mut admin = sqlx::PgConnection::connect(&cluster).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    cluster.replacen("/postgres?", &format!("/{name}?"), 1)
}

/// The key files instances on PostgreSQL must be given (they share the
/// data folder's names, so a folder a SQLite portal used works as it is):
/// the token key set and the webhook sealing key, made when missing.
pub fn shared_keys(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let token = dir.join(portal_server::tokens::KEY_FILE);
    let webhook = dir.join(portal_server::webhooks::vault::KEY_FILE);
    if !token.exists() {
        portal_server::tokens::KeySet::generate()
            .write(&token)
            .unwrap();
    }
    portal_server::keyfile::load_or_create(&webhook, "webhook secret key").unwrap();
    (token, webhook)
}

/// The database a test server runs on, reached directly: through sqlx's
/// `Any` driver, so the same test reads SQLite and PostgreSQL. Statements
/// use `$1`-style parameters, which both understand.
pub struct TestDb {
    pub pool: sqlx::AnyPool,
    pub postgres: bool,
}

impl TestDb {
    pub async fn connect(url: &str) -> Self {
        sqlx::any::install_default_drivers();
        let pool = sqlx::pool::PoolOptions::new()
            .max_connections(2)
            .connect(url)
            .await
            .unwrap();
        Self {
            pool,
            postgres: url.starts_with("postgres"),
        }
    }

    /// Everything the database has written to disk: the SQLite file with
    /// its WAL in `dir`, or the PostgreSQL database's own files (after a
    /// checkpoint). For scanning for what must never be stored.
    pub async fn stored_bytes(&self, dir: &std::path::Path) -> Vec<u8> {
        let mut stored = Vec::new();
        if self.postgres {
            sqlx::query("CHECKPOINT").execute(&self.pool).await.unwrap();
            let oid: String = sqlx::query_scalar(
                "SELECT oid::text FROM pg_database WHERE datname = current_database()",
            )
            .fetch_one(&self.pool)
            .await
            .unwrap();
            let data = std::env::var("PORTAL_TEST_PGDATA").unwrap();
            let base = std::path::Path::new(&data).join("base").join(oid);
            for entry in std::fs::read_dir(base).unwrap() {
                stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
        } else {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("portal.db") {
                    stored.extend(std::fs::read(&path).unwrap());
                }
            }
        }
        stored
    }

    /// The SQL that turns parameter `$n`, Unix seconds, into a stored time.
    pub fn time(&self, n: usize) -> String {
        if self.postgres {
            format!("to_timestamp(${n})")
        } else {
            format!("${n}")
        }
    }
}
