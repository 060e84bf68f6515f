//! The home page's first load as a browser with an empty cache makes it: the HTML and every
//! file under `/pkg/` it names (the JS glue, the wasm, the CSS), and with a split build the
//! chunk loader and the home page's wasm chunks, each as brotli. The dashboard serves `/pkg/`
//! precompressed; HTML is left to the reverse proxy in front, so it is compressed here at the
//! level such a proxy commonly uses (brotli 6).
//!
//! Like Chromium, it keeps a shell that offers itself `Use-As-Dictionary` and names it in
//! `Available-Dictionary` when it asks for the chunks, which then come as `dcb` where the
//! build compressed them against the shell.
//!
//! The chunks come from the build's split manifest, not from the page's preload hints: Leptos
//! 0.8 writes those hints into a page's HTML only on some renders (a route rendered before
//! in the same process may come without them), while the browser fetches the chunks either way.
//! Like the chunks' loader on a first load, it asks for them as the one bundle scripts/release
//! wrote for the home page's set (split-wasm/src/bundle.rs).

use crate::rig::Rig;
use std::fmt::Write;
use std::io::Write as _;

pub struct FirstLoad {
    pub html: (usize, usize),
    /// Path, bytes as sent with `Accept-Encoding: br`, and the encoding the server chose.
    pub files: Vec<(String, usize, String)>,
}

/// Every `/pkg/…` path the page names, in order, once each; the wasm too when only the JS
/// glue names it.
fn pkg_paths(html: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("/pkg/") {
        let rest = &html[at..];
        let end = rest
            .find(|c: char| c == '"' || c == '\'' || c == ')' || c.is_whitespace())
            .unwrap_or(rest.len());
        let path = rest[..end].to_string();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if !paths.iter().any(|p| p.ends_with(".wasm")) {
        if let Some(js) = paths.iter().find(|p| p.ends_with(".js")).cloned() {
            paths.push(js.replace(".js", ".wasm"));
        }
    }
    paths
}

/// The chunk loader and the bundle of the home page's chunks, by the split manifest
/// (`{"home_loader_<hash>": ["chunk_1", …], …}`: the home page's island); an error when the manifest names no home
/// page. A build without `--split` has no manifest, and [`home`] does not call this then.
fn split_paths(manifest: &str) -> Result<Vec<String>, String> {
    let routes: std::collections::HashMap<String, Vec<String>> =
        serde_json::from_str(manifest).map_err(|e| format!("the split manifest: {e}"))?;
    let home = routes
        .iter()
        .find(|(key, _)| key.starts_with("home_loader_"))
        .map(|(_, chunks)| chunks)
        .ok_or("the split manifest names no home page")?;
    let bundle = precompress::bundle_file(&precompress::bundle_members(home));
    Ok(vec![
        format!("/pkg/{SPLIT_LOADER}"),
        format!("/pkg/{bundle}"),
    ])
}

/// cargo-leptos' name for the chunk loader (without hashed file names).
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
        writer.write_all(bytes).expect("writing to memory");
    }
    out.len()
}

pub async fn home(rig: &Rig) -> Result<FirstLoad, String> {
    let c = &rig.client;
    let html = c
        .http
        .get(format!("{}/", c.app))
        .header("cookie", format!("cmr_session={}", c.cookie))
        .send()
        .await
        .map_err(|e| format!("the home page: {e}"))?
        .text()
        .await
        .map_err(|e| format!("the home page: {e}"))?;
    let mut paths = pkg_paths(&html);
    let manifest = c
        .http
        .get(format!("{}/pkg/__wasm_split_manifest.json", c.app))
        .send()
        .await
        .map_err(|e| format!("the split manifest: {e}"))?;
    if manifest.status() == 200 {
        let manifest = manifest
            .text()
            .await
            .map_err(|e| format!("the split manifest: {e}"))?;
        for path in split_paths(&manifest)? {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    let mut files = Vec::new();
    // The shell's hash, once a response has offered itself as a dictionary.
    let mut dictionary: Option<String> = None;
    for path in paths {
        let mut request = c.http.get(format!("{}{path}", c.app));
        request = match &dictionary {
            Some(hash) => request
                .header("accept-encoding", "br, dcb")
                .header("available-dictionary", hash),
            None => request.header("accept-encoding", "br"),
        };
        let answer = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        if answer.status() != 200 {
            return Err(format!("{path} answered {}", answer.status()));
        }
        let encoding = answer
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let offers_dictionary = answer.headers().contains_key("use-as-dictionary");
        let body = answer.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        if offers_dictionary {
            dictionary =
                Some(dictionary_hash(&body, &encoding).map_err(|e| format!("{path}: {e}"))?);
        }
        files.push((path, body.len(), encoding));
    }
    Ok(FirstLoad {
        html: (html.len(), brotli(html.as_bytes())),
        files,
    })
}

/// `Available-Dictionary` for a response offered as a dictionary: the SHA-256 of its decoded
/// bytes.
fn dictionary_hash(body: &[u8], encoding: &str) -> Result<String, String> {
    let decoded = match encoding {
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliDecompress(&mut &body[..], &mut out).map_err(|e| e.to_string())?;
            out
        }
        "none" => body.to_vec(),
        other => return Err(format!("a dictionary sent as {other}")),
    };
    Ok(precompress::available_dictionary(
        &precompress::dictionary_hash(&decoded),
    ))
}

impl FirstLoad {
    /// Bytes of wasm the first load transfers.
    pub fn wasm(&self) -> usize {
        self.files
            .iter()
            .filter(|(p, _, _)| p.ends_with(".wasm"))
            .map(|(_, n, _)| n)
            .sum()
    }

    pub fn markdown(&self, wasm_budget: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| the home page's first load | bytes sent | encoding |"
        );
        let _ = writeln!(out, "|---|---|---|");
        let _ = writeln!(
            out,
            "| HTML | {} ({} before compression) | brotli 6, as a reverse proxy would |",
            self.html.1, self.html.0
        );
        // The page's chunks (with `--split`) in one row: one bundle, or dozens apart.
        let is_chunk =
            |p: &str| p.contains("/chunk_") || p.contains("/split_") || p.contains("/bundle-");
        for (path, bytes, encoding) in self.files.iter().filter(|(p, _, _)| !is_chunk(p)) {
            let _ = writeln!(out, "| `{path}` | {bytes} | {encoding} |");
        }
        let chunks: Vec<_> = self.files.iter().filter(|(p, _, _)| is_chunk(p)).collect();
        if !chunks.is_empty() {
            let bytes: usize = chunks.iter().map(|(_, n, _)| n).sum();
            let dcb = chunks.iter().filter(|(_, _, e)| e == "dcb").count();
            let _ = writeln!(
                out,
                "| the page's wasm chunks ({} file(s)) | {bytes} | {dcb} dcb (against the shell), the rest br |",
                chunks.len()
            );
        }
        let total = self.html.1 + self.files.iter().map(|(_, n, _)| n).sum::<usize>();
        let wasm = self.wasm() as u64;
        let _ = writeln!(out, "| **total** | **{total}** | |");
        let _ = writeln!(
            out,
            "| wasm against the budget | {wasm} of {wasm_budget} | {} |",
            if wasm <= wasm_budget {
                "met"
            } else {
                "**not met**"
            }
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_pages_chunks_come_from_the_manifest_as_one_bundle_with_the_loader() {
        let manifest =
            r#"{"sign_in_loader_1": ["chunk_9"], "home_loader_1": ["chunk_2", "chunk_1"]}"#;
        let members = ["chunk_1".to_string(), "chunk_2".to_string()];
        assert_eq!(
            split_paths(manifest).unwrap(),
            [
                format!("/pkg/{SPLIT_LOADER}"),
                format!("/pkg/bundle-{}.wasm", precompress::bundle_key(&members)),
            ]
        );
        assert!(split_paths(r#"{"sign_in_loader_1": []}"#).is_err());
    }
}
