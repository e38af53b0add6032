//! Processes of a benchmark: the load generator pinned to one core, servers
//! pinned to the other, and the CPU time each of them used.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

/// The servers' core, and the load generator's.
pub const SERVER_CORE: &str = "0";
pub const LOAD_CORE: &str = "1";
/// CPU used by other processes during a measurement (in cores) above which
/// the figures get a warning.
pub const NOISE_CORES: f64 = 0.1;

/// Pins this process to `LOAD_CORE` and runs `run` on a single-threaded
/// runtime there. `what` names the benchmark in the error of a one-core machine.
pub fn on_load_core<F>(what: &str, run: impl FnOnce() -> F) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    ensure!(
        cores >= 2,
        "the {what} benchmark needs two cores (server, load); this machine offers {cores}"
    );
    // Before any other thread exists, so every thread of this process stays on LOAD_CORE.
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", LOAD_CORE, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("taskset (util-linux) is needed to pin the benchmark to cores")?;
    ensure!(status.success(), "taskset could not pin the load generator");
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build of the load generator; run with --release");
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// A free port on 127.0.0.1 (free when asked; the server binds it next).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A server process pinned to `SERVER_CORE`, its output in a file; killed on drop.
pub struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// `program` on `SERVER_CORE`, for `command` to take arguments and environment.
    pub fn pinned(program: &Path) -> Command {
        let mut command = Command::new("taskset");
        command.args(["-c", SERVER_CORE]).arg(program);
        command
    }

    pub fn spawn(name: &'static str, mut command: Command, log: PathBuf) -> anyhow::Result<Self> {
        let out = std::fs::File::create(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Self { name, child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `url` until it answers 200 with JSON, which it returns.
    pub async fn wait_until_up(&mut self, url: &str) -> anyhow::Result<Value> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{} exited ({status}):\n{}", self.name, self.log());
            }
            if let Ok(response) = client.get(url).send().await
                && response.status() == 200
            {
                return Ok(response.json().await?);
            }
            if Instant::now() > deadline {
                bail!("{} did not answer {url}:\n{}", self.name, self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time from /proc, in clock ticks: all cores busy, and the part of it
/// spent by the server and by this process; and the server's context switches.
pub struct CpuTime {
    busy: u64,
    server: u64,
    this: u64,
    switches: u64,
}

impl CpuTime {
    /// `servers`: the pids of the portal's instances.
    pub fn now(servers: &[u32]) -> Self {
        let busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|stat| {
                let line = stat.lines().next()?.to_owned();
                let ticks: Vec<u64> = line
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal: all but idle and iowait.
                Some(ticks.iter().take(8).sum::<u64>() - ticks.get(3)? - ticks.get(4)?)
            })
            .unwrap_or(0);
        let process = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // After "pid (comm) ": utime and stime are the 12th and 13th fields.
                    let fields: Vec<u64> = stat
                        .rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .skip(11)
                        .take(2)
                        .filter_map(|n| n.parse().ok())
                        .collect();
                    Some(fields.iter().sum::<u64>())
                })
                .unwrap_or(0)
        };
        // The database server (PostgreSQL's processes) and Redis work for
        // our server: their CPU counts as the server's.
        let database: u64 = database_pids().into_iter().map(process).sum();
        Self {
            busy,
            server: servers.iter().copied().map(process).sum::<u64>() + database,
            this: process(std::process::id()),
            switches: servers.iter().copied().map(context_switches).sum(),
        }
    }

    /// CPU time the server used (all its threads, and the database's
    /// processes) since `before`.
    pub fn server_since(&self, before: &Self) -> Duration {
        Duration::from_secs_f64((self.server - before.server) as f64 / CLOCK_TICKS_PER_SECOND)
    }

    /// Context switches of the server's threads since `before`.
    pub fn switches_since(&self, before: &Self) -> u64 {
        self.switches.saturating_sub(before.switches)
    }

    /// Cores kept busy by other processes since `before`, `elapsed` ago.
    pub fn others_since(&self, before: &Self, elapsed: Duration) -> f64 {
        let ours = (self.server - before.server) + (self.this - before.this);
        let others = (self.busy - before.busy).saturating_sub(ours);
        others as f64 / CLOCK_TICKS_PER_SECOND / elapsed.as_secs_f64()
    }
}

/// PostgreSQL's server and its backends (the `postgres` user's processes)
/// and redis-server (none when the benchmark runs on SQLite).
fn database_pids() -> Vec<u32> {
    let mut pids = postgres_pids();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        pids.extend(entries.filter_map(|e| {
            let e = e.ok()?;
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            (comm.trim() == "redis-server").then_some(pid)
        }));
    }
    pids
}

fn postgres_pids() -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let Some(uid) = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd
                .lines()
                .find(|l| l.starts_with("postgres:"))
                .and_then(|l| l.split(':').nth(2)?.parse::<u32>().ok())
        })
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            (e.metadata().ok()?.uid() == uid).then_some(pid)
        })
        .collect()
}

/// Voluntary and involuntary context switches of all of a process's threads.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// USER_HZ: 100 on every Linux architecture we run on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
