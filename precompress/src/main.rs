//! `precompress <site dir>`: compresses the built site ahead of time, so the server never
//! compresses a static file per request (scripts/release runs it after the build).
//! 1. Every file gets a `.br` (quality 11) and a `.gz` beside it, for `ServeDir`'s
//!    precompressed variants; older ones are replaced.
//! 2. Every split chunk in `<site dir>/pkg` gets a `.wasm.dcb`, compressed with the shell
//!    (`cmr-admin.wasm`) as its dictionary, when that is smaller than its `.br`; every older
//!    `.dcb` is removed first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const SHELL: &str = "cmr-admin.wasm";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [site] = args.as_slice() else {
        eprintln!("usage: precompress <site dir>");
        std::process::exit(2);
    };
    let site = Path::new(site);
    if let Err(err) = compress_all(site).and_then(|()| against_shell(&site.join("pkg"))) {
        eprintln!("precompress: {err}");
        std::process::exit(1);
    }
}

/// Step 1: a `.br` and a `.gz` of every file under `site`.
fn compress_all(site: &Path) -> std::io::Result<()> {
    let started = Instant::now();
    let files = list(site)?;
    let sizes = in_parallel(&files, |file| {
        let input = std::fs::read(file)?;
        let br = brotli_of(&input)?;
        std::fs::write(with_suffix(file, ".br"), &br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&input)?;
        std::fs::write(with_suffix(file, ".gz"), gz.finish()?)?;
        Ok((input.len() as u64, br.len() as u64))
    })?;
    let raw: u64 = sizes.iter().map(|(raw, _)| raw).sum();
    let br: u64 = sizes.iter().map(|(_, br)| br).sum();
    println!(
        "precompress: {} files, {raw} B -> {br} B of brotli in {:.1} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every file under `dir` that is not itself a compressed copy, sorted.
fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, files)?;
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("br" | "gz" | "dcb")
            ) {
                files.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// Brotli as browsers get it without a dictionary: quality 11, a 4 MB window.
fn brotli_of(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: input.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(input.len() / 3);
    brotli::BrotliCompress(&mut &input[..], &mut out, &params)?;
    Ok(out)
}

/// One chunk's outcome: its `.br` size and its `.dcb` size when that one was kept.
struct Outcome {
    br: u64,
    dcb: Option<u64>,
}

/// Step 2: the split chunks in `pkg` against the shell.
fn against_shell(pkg: &Path) -> std::io::Result<()> {
    let started = Instant::now();
    let shell = std::fs::read(pkg.join(SHELL))?;
    let mut chunks = Vec::new();
    for entry in std::fs::read_dir(pkg)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".dcb") {
            std::fs::remove_file(&path)?;
        } else if name.ends_with(".wasm") && name != SHELL {
            chunks.push(path);
        }
    }
    chunks.sort();
    let outcomes = in_parallel(&chunks, |chunk| one(&shell, chunk))?;
    let br: u64 = outcomes.iter().map(|o| o.br).sum();
    let sent: u64 = outcomes.iter().map(|o| o.dcb.unwrap_or(o.br)).sum();
    let kept = outcomes.iter().filter(|o| o.dcb.is_some()).count();
    println!(
        "precompress: {kept} of {} chunks smaller against {SHELL}: {br} B of brotli -> {sent} B in {:.1} s",
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

/// `work` on every item, one worker per core, each taking every n-th item: quality 11 takes
/// a moment per file, and a release has 500-odd chunks.
fn in_parallel<T: Send>(
    items: &[PathBuf],
    work: impl Fn(&Path) -> std::io::Result<T> + Sync,
) -> std::io::Result<Vec<T>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let work = &work;
                scope.spawn(move || {
                    items
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .map(|item| work(item))
                        .collect::<std::io::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a precompress worker panicked"))
            .collect::<std::io::Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect())
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("precompress-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        dir
    }

    #[test]
    fn every_file_gets_a_brotli_and_a_gzip_copy_that_read_back_the_same() {
        let site = scratch("all");
        let css = "body { color: red }\n".repeat(50);
        std::fs::write(site.join("favicon.ico"), [0u8, 1, 2, 3]).unwrap();
        std::fs::write(site.join("pkg/cmr-admin.css"), &css).unwrap();
        // A copy left by an earlier run is replaced, never compressed again.
        std::fs::write(site.join("pkg/cmr-admin.css.br"), b"stale").unwrap();

        compress_all(&site).unwrap();

        assert_eq!(
            list(&site).unwrap(),
            [site.join("favicon.ico"), site.join("pkg/cmr-admin.css")]
        );
        let br = std::fs::read(site.join("pkg/cmr-admin.css.br")).unwrap();
        let mut back = String::new();
        brotli_decompressor::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, css);
        assert!(br.len() < css.len() / 10, "{} B of brotli", br.len());
        let gz = std::fs::read(site.join("pkg/cmr-admin.css.gz")).unwrap();
        back.clear();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, css);
        assert!(site.join("favicon.ico.br").exists() && site.join("favicon.ico.gz").exists());
        std::fs::remove_dir_all(&site).unwrap();
    }
}
