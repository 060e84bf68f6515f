//! `precompress <pkg dir> [shell]`: writes `<chunk>.wasm.dcb` beside every split chunk whose
//! dictionary-compressed copy is smaller than its `.br`, and removes every older `.dcb`
//! (scripts/release runs it after `cargo leptos build --release --precompress --split`).

use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(pkg), shell) = (args.next(), args.next()) else {
        eprintln!("usage: precompress <pkg dir> [shell wasm, default cmr-admin.wasm]");
        std::process::exit(2);
    };
    let shell = shell.unwrap_or_else(|| "cmr-admin.wasm".into());
    if let Err(err) = run(Path::new(&pkg), &shell) {
        eprintln!("precompress: {err}");
        std::process::exit(1);
    }
}

/// One chunk's outcome: its `.br` size and its `.dcb` size when that one was kept.
struct Outcome {
    br: u64,
    dcb: Option<u64>,
}

fn run(pkg: &Path, shell_name: &str) -> std::io::Result<()> {
    let started = Instant::now();
    let shell = std::fs::read(pkg.join(shell_name))?;
    let mut chunks = Vec::new();
    for entry in std::fs::read_dir(pkg)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".dcb") {
            std::fs::remove_file(&path)?;
        } else if name.ends_with(".wasm") && name != shell_name {
            chunks.push(path);
        }
    }
    chunks.sort();
    // Quality 11 against a dictionary the size of the shell takes a moment per chunk: one
    // worker per core, each taking every n-th chunk.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (chunks, shell) = (&chunks, &shell);
                scope.spawn(move || {
                    chunks
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .map(|chunk| one(shell, chunk))
                        .collect::<std::io::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a precompress worker panicked"))
            .collect::<std::io::Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;
    let br: u64 = outcomes.iter().map(|o| o.br).sum();
    let sent: u64 = outcomes.iter().map(|o| o.dcb.unwrap_or(o.br)).sum();
    let kept = outcomes.iter().filter(|o| o.dcb.is_some()).count();
    println!(
        "precompress: {kept} of {} chunks smaller against {shell_name}: {br} B of brotli -> {sent} B in {:.1} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn one(shell: &[u8], chunk: &Path) -> std::io::Result<Outcome> {
    let input = std::fs::read(chunk)?;
    let br_path = with_suffix(chunk, ".br");
    let br = std::fs::metadata(&br_path)
        .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", br_path.display())))?
        .len();
    let dcb = precompress::encode(shell, &input)?;
    if (dcb.len() as u64) < br {
        std::fs::write(with_suffix(chunk, ".dcb"), &dcb)?;
        Ok(Outcome {
            br,
            dcb: Some(dcb.len() as u64),
        })
    } else {
        Ok(Outcome { br, dcb: None })
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
