//! The real `portal-server` binary as a child process, for tests that need
//! its log output or must kill it: its own folder, database and listening
//! socket. The socket is bound here, on a port the OS picks, and handed to
//! the server as systemd does (`LISTEN_FDS`, fd 3), so no other process can
//! take the port between picking and listening, nor across a restart.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    PIN, SendJson, browser, fresh_database, redis_prefix, shared_keys, sign_up_body, test_redis,
    token_in, write_dist,
};

pub struct Server {
    child: std::process::Child,
    pub url: String,
    /// Its own database (see `helpers::fresh_database`).
    pub database_url: String,
    listener: TcpListener,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts the server with `env` on top of the defaults, on a new
    /// database, and waits until it answers.
    pub async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let database_url = fresh_database(dir).await;
        Self::start_on(dir, database_url, env).await
    }

    /// `start`, on the database `database_url`.
    pub async fn start_on(
        dir: &std::path::Path,
        database_url: String,
        env: &[(&str, &str)],
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut server = Self {
            child: spawn(dir, &url, &database_url, &listener, &env),
            url,
            database_url,
            listener,
            dir: dir.to_owned(),
            env,
        };
        server.wait_until_up().await;
        server
    }

    async fn wait_until_up(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(self.at("/api/health")).send().await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}): {}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start: {}", self.log());
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Everything the server has printed, over all its runs.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Signs up (the confirmation link comes from the log), adds a project
    /// with one endpoint at `hook_url` for every event, and returns a write
    /// token of a new credential of it, made before the endpoint (so the
    /// endpoint gets only what is published).
    pub async fn publisher(&self, hook_url: &str) -> String {
        let ada = browser(&self.url);
        let post = |path: String, body: Value| ada.post(self.at(&path)).json(&body).send();
        let signed_up = post("/api/signup".into(), sign_up_body("ada@acme.test")).await;
        assert_eq!(signed_up.unwrap().status(), 202);
        let token = token_in(&self.log(), "/signup/confirm?token=");
        let confirmed = post("/api/signup/confirm".into(), json!({ "token": token })).await;
        assert_eq!(confirmed.unwrap().status(), 200);
        let project: Value = post(
            "/api/projects".into(),
            json!({ "name": "Orders", "environment": "sandbox" }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let project = project["id"].as_str().unwrap().to_owned();
        let credential: Value = post(
            format!("/api/projects/{project}/credentials"),
            json!({ "description": "Orders backend", "scopes": ["write"], "pin": PIN }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let hook = post(
            format!("/api/projects/{project}/webhooks"),
            json!({ "url": hook_url }),
        )
        .await
        .unwrap();
        assert_eq!(hook.status(), 201);
        let issued: Value = reqwest::Client::new()
            .post(self.at("/v1/auth/token"))
            .json(&json!({ "grant_type": "client_credentials",
                "client_id": credential["client_id"], "client_secret": credential["client_secret"] }))
            .send_json()
.await;
        issued["access_token"].as_str().unwrap().to_owned()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same socket, folder and database.
    pub async fn restart(&mut self) {
        self.child = spawn(
            &self.dir,
            &self.url,
            &self.database_url,
            &self.listener,
            &self.env,
        );
        self.wait_until_up().await;
    }

    /// SIGTERM, without waiting for the exit.
    pub fn terminate(&self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    /// Waits (at most `limit`) for the process to exit.
    pub async fn exited(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then wait: the server flushes what it holds and exits.
    pub fn stop(mut self) -> String {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.log()
    }
}

fn spawn(
    dir: &std::path::Path,
    url: &str,
    database_url: &str,
    listener: &TcpListener,
    env: &[(String, String)],
) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let fd = listener.as_raw_fd();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_portal-server"));
    if database_url.starts_with("postgres") {
        let (token_keys, webhook_key) = shared_keys(dir);
        command
            .env("PORTAL_TOKEN_KEYS_FILE", token_keys)
            .env("PORTAL_WEBHOOK_KEY_FILE", webhook_key);
    }
    if let Some(redis) = test_redis() {
        command
            .env("PORTAL_REDIS_URL", redis)
            .env("PORTAL_REDIS_PREFIX", redis_prefix(dir));
    }
    command
        .env("LISTEN_FDS", "1")
        .env_remove("LISTEN_PID")
        .env("PORTAL_PUBLIC_URL", url)
        .env("PORTAL_DATABASE_URL", database_url)
        .env("PORTAL_DATA_DIR", dir)
        .env("PORTAL_DIST", write_dist(dir))
        .env("PORTAL_LOG", "info")
        // Tests read the links of the mail the server printed.
        .env("PORTAL_PRINT_MAIL", "true")
        .env_remove("PORTAL_SMTP_URL")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    // SAFETY: between fork and exec only async-signal-safe calls (dup2,
    // fcntl) run, on descriptors this process owns.
    unsafe {
        command.pre_exec(move || {
            if fd == 3 {
                // Already in place: only let it survive the exec.
                if libc::fcntl(3, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().unwrap()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
