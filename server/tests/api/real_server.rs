//! The real `portal-server` binary as a child process, for tests that need
//! its log output or must kill it: its own folder, port and database.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers::write_dist;

pub struct Server {
    child: std::process::Child,
    pub url: String,
    port: u16,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts the server with `env` on top of the defaults, and waits until it answers.
    pub async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut server = Self {
            child: spawn(dir, port, &env),
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir: dir.to_owned(),
            env,
        };
        server.wait_until_up().await;
        server
    }

    async fn wait_until_up(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(self.at("/api/health")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
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

    /// SIGKILL: no shutdown, no flush.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port, folder and database.
    pub async fn restart(&mut self) {
        self.child = spawn(&self.dir, self.port, &self.env);
        self.wait_until_up().await;
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

fn spawn(dir: &std::path::Path, port: u16, env: &[(String, String)]) -> std::process::Child {
    let url = format!("http://127.0.0.1:{port}");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_PUBLIC_URL", &url)
        .env(
            "PORTAL_DATABASE_URL",
            format!("sqlite://{}/portal.db", dir.display()),
        )
        .env("PORTAL_DATA_DIR", dir)
        .env("PORTAL_DIST", write_dist(dir))
        .env("PORTAL_LOG", "info")
        .env_remove("PORTAL_SMTP_URL")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
