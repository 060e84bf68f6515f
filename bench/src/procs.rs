//! The programs under measurement, each a child process on loopback: started with its
//! settings, awaited until it accepts connections, read for its memory, and stopped with the
//! signal it shuts down on (never left running: `kill_on_drop` covers a benchmark that fails).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Proc {
    name: &'static str,
    child: Child,
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

impl Proc {
    /// Starts `program` with `env` added to the benchmark's own environment; its output goes
    /// to `log` (the dashboard's log lines are not part of what is measured).
    pub fn start(
        name: &'static str,
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<Proc, String> {
        let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({}): {e}", program.display()))?;
        Ok(Proc { name, child })
    }

    /// Waits until `port` accepts a connection, or the process ends, or 60 s pass.
    pub async fn listening(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited before listening: {status}", self.name));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "{} did not listen on {port} within 60 s",
                    self.name
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resident memory now and at its peak, in KiB (`/proc/<pid>/status`).
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Sends `signal` (`TERM`, `INT`) and waits up to 15 s for a clean exit; kills it after.
    /// Whether it exited by itself with status 0.
    pub async fn stop(mut self, signal: &str) -> bool {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-s", signal, &pid.to_string()])
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(Ok(status)) => status.success(),
            _ => {
                eprintln!("{} did not stop on SIG{signal}; killed", self.name);
                let _ = self.child.kill().await;
                false
            }
        }
    }
}
