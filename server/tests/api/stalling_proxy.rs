//! A TCP proxy in front of the test's PostgreSQL cluster that a test can
//! pause: while paused, what either side sends waits in the proxy, as over
//! a network that stalls. A server given its address sees its database
//! stop answering, mid-statement, and carry on where it was when resumed.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixStream};
use tokio::sync::watch;

pub struct StallingProxy {
    /// `database_url` with the proxy's address in place of the cluster's.
    pub url: String,
    paused: watch::Sender<bool>,
}

impl StallingProxy {
    /// A proxy to the database `database_url` names (a URL of the cluster
    /// `scripts/with-postgres.sh` runs, on a Unix socket).
    pub async fn start(database_url: &str) -> Self {
        let url = url::Url::parse(database_url).unwrap();
        let query = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("{name} in {database_url}"))
        };
        let socket = format!("{}/.s.PGSQL.{}", query("host"), query("port"));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxied = format!(
            "postgres://{}@{}{}?sslmode=disable",
            url.username(),
            listener.local_addr().unwrap(),
            url.path()
        );
        let (paused, _) = watch::channel(false);
        let watching = paused.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = UnixStream::connect(&socket).await.unwrap();
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(forward(client_read, server_write, watching.subscribe()));
                tokio::spawn(forward(server_read, client_write, watching.subscribe()));
            }
        });
        Self {
            url: proxied,
            paused,
        }
    }

    /// From now on, nothing goes through until `resume`.
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }
}

/// Copies `from` to `to`, holding each chunk while the proxy is paused.
async fn forward(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut paused: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if paused.wait_for(|p| !*p).await.is_err() {
            break;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
