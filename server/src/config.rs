//! Configuration: flags or `PORTAL_*` environment variables, with defaults that
//! run the portal on one machine with nothing else installed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args};

#[derive(Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PORTAL_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// The database: `sqlite://FILE` (the file and its folder are created
    /// when missing) or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`
    /// (`?sslmode=require` or `verify-full` for TLS). Migrations run at start.
    #[arg(
        long,
        env = "PORTAL_DATABASE_URL",
        default_value = "sqlite://data/portal.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Database connections kept open at most (SQLite uses at most 8).
    #[arg(long, env = "PORTAL_DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: u32,

    /// PostgreSQL cancels a statement that runs longer than this many seconds.
    #[arg(long, env = "PORTAL_DATABASE_STATEMENT_TIMEOUT", default_value_t = 30)]
    pub database_statement_timeout: u64,

    /// The URL people open; used in mailed links and the same-origin check.
    /// Unset: `http://` and the address the server listens on.
    #[arg(
        long,
        env = "PORTAL_PUBLIC_URL",
        default_value = "",
        hide_default_value = true
    )]
    pub public_url: String,

    /// Folder for the keys generated on first start (the token signing key).
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Tokens issued per second for one client id to one address, and failed
    /// token requests per second for one client id; four times as many
    /// requests of any kind from one address. Each after a burst of as many.
    #[arg(long, env = "PORTAL_TOKEN_REQUESTS_PER_SECOND", default_value_t = 10)]
    pub token_requests_per_second: u32,

    /// Events accepted per second through `POST /v1/events` from one
    /// credential, after a burst of as many again: one noisy partner can't
    /// flood the delivery worker for everyone.
    #[arg(long, env = "PORTAL_EVENTS_PER_SECOND", default_value_t = 100)]
    pub events_per_second: u32,

    /// Events accepted per second through `POST /v1/events` from all of one
    /// organisation's credentials together, after a burst of as many again.
    #[arg(
        long,
        env = "PORTAL_ORGANISATION_EVENTS_PER_SECOND",
        default_value_t = 500
    )]
    pub organisation_events_per_second: u32,

    /// Working (not revoked) credentials a project may have.
    #[arg(long, env = "PORTAL_CREDENTIALS_PER_PROJECT", default_value_t = 50)]
    pub credentials_per_project: u32,

    /// Webhook endpoints a project may have.
    #[arg(long, env = "PORTAL_ENDPOINTS_PER_PROJECT", default_value_t = 20)]
    pub endpoints_per_project: u32,

    /// Projects an organisation may have.
    #[arg(long, env = "PORTAL_PROJECTS_PER_ORGANISATION", default_value_t = 50)]
    pub projects_per_organisation: u32,

    /// Webhook endpoints an organisation may have, in all its projects
    /// (each event goes to at most this many).
    #[arg(long, env = "PORTAL_ENDPOINTS_PER_ORGANISATION", default_value_t = 100)]
    pub endpoints_per_organisation: u32,

    /// Megabytes of events an organisation may keep (their bodies, for
    /// `PORTAL_RETENTION_DAYS`); past it, `POST /v1/events` is refused until
    /// old events are deleted.
    #[arg(long, env = "PORTAL_EVENT_STORAGE_MB", default_value_t = 1024)]
    pub event_storage_mb: u64,

    /// Let webhooks reach private, loopback and link-local addresses (tests
    /// and local development). Off in production.
    #[arg(long, env = "PORTAL_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// How long a delivery worker's claim holds a delivery, in seconds, on
    /// the database's clock. It is renewed every quarter of that while the
    /// attempt runs; a worker that dies lets it run out, and another worker
    /// takes the delivery over once it has been out as long again.
    #[arg(long, env = "PORTAL_DELIVERY_LEASE_SECONDS", default_value_t = 60)]
    pub delivery_lease_seconds: u64,

    /// Key that seals webhook signing secrets at rest: base64 of 32 bytes.
    /// Unset (and no key file): generated on first start and kept in the
    /// data folder, which only one machine may do.
    #[arg(long, env = "PORTAL_WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<String>,

    /// A file holding the webhook sealing key (as the data folder keeps it):
    /// give every instance the same one.
    #[arg(long, env = "PORTAL_WEBHOOK_KEY_FILE")]
    pub webhook_key_file: Option<PathBuf>,

    /// The token signing key set file every instance reads (`portal-server
    /// keys init` makes one; `keys rotate` and `keys retire` change it, and
    /// instances see the change within a second). Unset (and no key set
    /// given): kept in the data folder, which only one machine may do.
    #[arg(long, env = "PORTAL_TOKEN_KEYS_FILE")]
    pub token_keys_file: Option<PathBuf>,

    /// The token signing key set itself: base64url seeds, newest first,
    /// separated by commas or new lines.
    #[arg(long, env = "PORTAL_TOKEN_KEYS", hide_env_values = true)]
    pub token_keys: Option<String>,

    /// The app's build (trunk's `dist/`), served with SPA fallback.
    #[arg(long, env = "PORTAL_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// SMTP server for outgoing mail, e.g. `smtp://user:pass@mail.example.com:587`
    /// (`smtps://` for implicit TLS). Unset: mail is not sent (see
    /// `--print-mail`); the outbox table notes it.
    #[arg(long, env = "PORTAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Without an SMTP server, print each mail to the log, links included:
    /// for development (`make run` sets it), never where logs are kept.
    #[arg(long, env = "PORTAL_PRINT_MAIL", default_value_t = false, action = ArgAction::Set)]
    pub print_mail: bool,

    /// The From address of outgoing mail.
    #[arg(
        long,
        env = "PORTAL_MAIL_FROM",
        default_value = "Partner Portal <portal@localhost>"
    )]
    pub mail_from: String,

    /// Approve new organisations at once (dev default). Set to false in
    /// production and approve with `portal-server org approve <id>`.
    #[arg(long, env = "PORTAL_AUTO_APPROVE", default_value_t = true, action = ArgAction::Set)]
    pub auto_approve: bool,

    /// A session ends after this many minutes without a request.
    #[arg(long, env = "PORTAL_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: i64,

    /// A session ends this many hours after sign-in, however active.
    #[arg(long, env = "PORTAL_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: i64,

    /// An invitation link works for this many days.
    #[arg(long, env = "PORTAL_INVITATION_TTL_DAYS", default_value_t = 7)]
    pub invitation_ttl_days: i64,

    /// Sign-in attempts accepted per client address per minute, in a burst
    /// or spread out (each account also has its own limit of 5 a minute).
    #[arg(long, env = "PORTAL_SIGN_INS_PER_MINUTE", default_value_t = 30)]
    pub sign_ins_per_minute: u32,

    /// Sign-in attempts an account may make at once, then one a minute (a
    /// browser that signed in as it before has as many of its own).
    #[arg(long, env = "PORTAL_ACCOUNT_SIGN_INS", default_value_t = 5)]
    pub account_sign_ins: u32,

    /// How many instances share the rate limits through Redis: while Redis
    /// doesn't answer, each limits requests to its share.
    #[arg(long, env = "PORTAL_INSTANCES", default_value_t = 1)]
    pub instances: u32,

    /// Password and PIN checks (argon2: 19 MiB and a core each) run at once
    /// on this instance; 0 means one per core. Past them and the queue, a
    /// sign-in is answered 503 with `Retry-After`, without hashing.
    #[arg(long, env = "PORTAL_HASHING_CONCURRENCY", default_value_t = 0)]
    pub hashing_concurrency: usize,

    /// Sign-ins from browsers the account doesn't know, accepted per second
    /// on this instance from all addresses together (a browser with the
    /// account's device cookie isn't counted); past it, 503 with
    /// `Retry-After`, before the password is checked. 0: 20 a second per check that runs at
    /// once (`PORTAL_HASHING_CONCURRENCY`).
    #[arg(long, env = "PORTAL_SIGN_INS_PER_SECOND", default_value_t = 0)]
    pub sign_ins_per_second: u32,

    /// Password and PIN checks that may wait (at most two seconds) for one
    /// running to end.
    #[arg(long, env = "PORTAL_HASHING_QUEUE", default_value_t = 32)]
    pub hashing_queue: usize,

    /// Sign-ups (and "send the link again") accepted per client address per
    /// hour, in a burst or spread out.
    #[arg(long, env = "PORTAL_SIGN_UPS_PER_HOUR", default_value_t = 20)]
    pub sign_ups_per_hour: u32,

    /// Redis for rate limits every instance shares, e.g. `redis://127.0.0.1:6379`
    /// (`/N` picks a database). Unset: each instance limits on its own.
    #[arg(long, env = "PORTAL_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of the portal's Redis keys, so several portals can share one Redis.
    #[arg(long, env = "PORTAL_REDIS_PREFIX", default_value = "portal")]
    pub redis_prefix: String,

    /// Proxies whose word on the client's address is believed: a comma-separated
    /// list of addresses or CIDR ranges, e.g. `10.0.0.0/8,127.0.0.1`. A request
    /// from one of them is limited by the address it forwards (see
    /// `--forwarded-header`); from anyone else, by the connecting address.
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The header the trusted proxies set: `x-forwarded-for` (nginx's
    /// `$proxy_add_x_forwarded_for`) or `forwarded` (RFC 7239). Only this one
    /// is read, so a client can't slip in the other.
    #[arg(
        long,
        env = "PORTAL_FORWARDED_HEADER",
        value_enum,
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: ForwardedHeader,

    /// Serve Prometheus metrics at `/metrics` on this address, e.g.
    /// `127.0.0.1:9090`: a separate listener, so the public one never shows them.
    #[arg(long, env = "PORTAL_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Days an event, its deliveries and their attempts are kept once every
    /// delivery has ended; ended invitations are kept as long.
    #[arg(long, env = "PORTAL_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: i64,

    /// Days the outbox keeps its note of a mail.
    #[arg(long, env = "PORTAL_OUTBOX_RETENTION_DAYS", default_value_t = 7)]
    pub outbox_retention_days: i64,

    /// Invitations (and invitations sent again) each member may send per
    /// hour, in a burst or spread out; an organisation's members together
    /// five times as many.
    #[arg(long, env = "PORTAL_INVITATIONS_PER_HOUR", default_value_t = 20)]
    pub invitations_per_hour: u32,

    /// Log filter (tracing's `EnvFilter` syntax).
    #[arg(
        long,
        env = "PORTAL_LOG",
        default_value = "info,sqlx=warn,tower_http=info"
    )]
    pub log: String,
}

// The database, SMTP and Redis URLs can hold passwords; the keys are keys.
portal_contract::redacted_debug!(Config { addr, print_mail, database_pool_size, database_statement_timeout, public_url, data_dir, token_requests_per_second, events_per_second, organisation_events_per_second, credentials_per_project, endpoints_per_project, projects_per_organisation, endpoints_per_organisation, event_storage_mb, webhook_allow_private, delivery_lease_seconds, webhook_key_file, token_keys_file, dist, mail_from, auto_approve, session_idle_minutes, session_max_hours, invitation_ttl_days, sign_ins_per_minute, account_sign_ins, instances, hashing_concurrency, sign_ins_per_second, hashing_queue, sign_ups_per_hour, invitations_per_hour, retention_days, outbox_retention_days, redis_prefix, trusted_proxies, forwarded_header, metrics_addr, log } secret { database_url, webhook_key, token_keys, smtp_url, redis_url });

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    XForwardedFor,
    Forwarded,
}

/// A CIDR range, or one address as its own range.
fn parse_network(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{s}` is neither an address nor a CIDR range like 10.0.0.0/8"))
}

impl Config {
    /// Defaults as if no flag or variable were given.
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        <Wrapper as clap::Parser>::parse_from(["portal-server"]).config
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        let url = self.public_url.trim_end_matches('/');
        match url.find("://") {
            Some(i) => match url[i + 3..].find('/') {
                Some(j) => url[..i + 3 + j].to_owned(),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        }
    }

    /// How to reach the database.
    pub fn database_options(&self) -> crate::store::DatabaseOptions {
        crate::store::DatabaseOptions {
            pool_size: self.database_pool_size.max(1),
            statement_timeout: std::time::Duration::from_secs(self.database_statement_timeout),
        }
    }

    /// Cookies get `Secure` when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_password_or_key() {
        let mut c = Config::defaults();
        c.database_url = "postgres://portal:db-password-1@db/portal".into();
        c.smtp_url = Some("smtp://mail:smtp-password-2@mail.example.com:587".into());
        c.redis_url = Some("redis://:redis-password-3@127.0.0.1:6379".into());
        c.webhook_key = Some("webhook-key-4".into());
        c.token_keys = Some("token-key-5".into());
        let shown = format!("{c:?}");
        for secret in [
            "db-password-1",
            "smtp-password-2",
            "redis-password-3",
            "webhook-key-4",
            "token-key-5",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("public_url"),
            "the rest still shows: {shown}"
        );
    }

    #[test]
    fn origin_drops_the_path() {
        let mut c = Config::defaults();
        c.public_url = "https://portal.example.com/base/".into();
        assert_eq!(c.public_origin(), "https://portal.example.com");
        assert!(c.secure_cookies());
        c.public_url = "http://127.0.0.1:8080".into();
        assert_eq!(c.public_origin(), "http://127.0.0.1:8080");
        assert!(!c.secure_cookies());
    }
}
