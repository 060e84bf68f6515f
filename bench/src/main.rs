//! `scripts/bench`: the dashboard's release build measured against a bare reverse proxy and
//! the standalone CMR sandbox, at 0 ms and at 100 ms of CMR latency, in one run; prints one
//! Markdown table (and each goal, met or not). Loopback only, bounded in requests and time;
//! every program it starts is stopped when it ends.
//!
//! `cmr-bench --dashboard PATH --sandbox PATH --proxy PATH --database-server URL --logs DIR`
//! (`scripts/bench` passes them). It creates the databases `cmr_admin_bench_0` and
//! `cmr_admin_bench_100`; the script drops them.

mod first_load;
mod measure;
mod procs;
mod rig;
mod scenarios;

use rig::{Programs, Rig};
use std::path::PathBuf;
use std::process::ExitCode;

fn programs() -> Result<Programs, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("{name} is required"))
    };
    Ok(Programs {
        dashboard: PathBuf::from(flag("--dashboard")?),
        sandbox: PathBuf::from(flag("--sandbox")?),
        proxy: PathBuf::from(flag("--proxy")?),
        database_server: flag("--database-server")?,
        logs: PathBuf::from(flag("--logs")?),
    })
}

async fn run(programs: &Programs) -> Result<scenarios::Table, String> {
    std::fs::create_dir_all(&programs.logs).map_err(|e| e.to_string())?;
    let mut table = scenarios::Table::default();
    for latency_ms in [0, 100] {
        eprintln!(
            "==> CMR at {latency_ms} ms: starting the sandbox, the bare proxy and the dashboard"
        );
        let rig = Rig::start(
            programs,
            latency_ms,
            &format!("cmr_admin_bench_{latency_ms}"),
        )
        .await?;
        let measured = scenarios::measure(&rig).await;
        let first_load = if latency_ms == 0 {
            Some(first_load::home(&rig).await)
        } else {
            None
        };
        let clean = rig.stop().await;
        let mut figures = measured?;
        figures.stopped_cleanly = clean;
        table.columns.push((latency_ms, figures));
        if let Some(first_load) = first_load {
            table.first_load = Some(first_load?);
        }
    }
    Ok(table)
}

#[tokio::main]
async fn main() -> ExitCode {
    let programs = match programs() {
        Ok(programs) => programs,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    match run(&programs).await {
        Ok(table) => {
            print!("{}", table.markdown());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("benchmark failed: {err}");
            ExitCode::FAILURE
        }
    }
}
