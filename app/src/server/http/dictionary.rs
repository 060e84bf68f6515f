//! The split wasm over Compression Dictionary Transport (RFC 9842).
//!
//! Every page loads the shell wasm first and its own chunks after; `scripts/release` writes a
//! `<chunk>.wasm.dcb` beside each chunk, brotli-compressed with the shell as its dictionary
//! (the `precompress` crate). Here the shell's response says `Use-As-Dictionary`, and a chunk
//! request that names this very shell in `Available-Dictionary` (and accepts `dcb`) gets the
//! `.dcb` file. Anything else (another browser, an older shell, no `.dcb` built) gets the
//! static file service's `.br` as before, so the dictionary only ever saves bytes.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One chunk's `.dcb` file, held in memory (788 kB for all 357 of them, 2026-11-28).
struct Encoded {
    body: axum::body::Bytes,
    last_modified: HeaderValue,
}

/// The shell and the chunks compressed against it, read once at start-up.
pub struct ShellDictionary {
    shell: String,
    /// `Use-As-Dictionary` for the shell: every wasm file under the site's package path.
    use_as: HeaderValue,
    /// The shell's hash as `Available-Dictionary` carries it (`:base64:`).
    available: String,
    /// By file name (`x.wasm`), only the `.dcb` files made against this shell.
    chunks: HashMap<String, Encoded>,
}

impl ShellDictionary {
    /// Reads `<pkg_dir>/<shell>` and every `*.wasm.dcb` beside it. A `.dcb` made against
    /// another shell (an earlier build) is left out. With none left (a debug build has no
    /// `.dcb` files, a test may have no site at all) the package is served as before.
    pub fn load(pkg_dir: &Path, pkg_path: &str, shell: &str) -> Arc<Self> {
        let mut chunks = HashMap::new();
        let hash = std::fs::read(pkg_dir.join(shell))
            .ok()
            .map(|bytes| precompress::dictionary_hash(&bytes));
        if let (Some(hash), Ok(entries)) = (hash, std::fs::read_dir(pkg_dir)) {
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(chunk) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".dcb"))
                else {
                    continue;
                };
                let Ok(body) = std::fs::read(&path) else {
                    continue;
                };
                if precompress::encoded_against(&body) != Some(hash) {
                    continue;
                }
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                let last_modified = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
                    .expect("an HTTP date is a valid header value");
                chunks.insert(
                    chunk.to_owned(),
                    Encoded {
                        body: body.into(),
                        last_modified,
                    },
                );
            }
        }
        if !chunks.is_empty() {
            tracing::info!(
                chunks = chunks.len(),
                "wasm chunks compressed against the shell"
            );
        }
        let available = hash
            .map(|h| precompress::available_dictionary(&h))
            .unwrap_or_default();
        let use_as = HeaderValue::from_str(&format!("match=\"/{pkg_path}/*.wasm\""))
            .expect("the package path is a valid header value");
        Arc::new(Self {
            shell: shell.to_owned(),
            use_as,
            available,
            chunks,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Whether the request names this shell and accepts `dcb`.
    fn accepted_by(&self, headers: &HeaderMap) -> bool {
        let names_shell = headers
            .get("available-dictionary")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == self.available);
        names_shell
            && headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(accepts_dcb)
    }
}

/// One `Accept-Encoding` item: `dcb`, with no `q=0`.
fn accepts_dcb(item: &str) -> bool {
    let mut parts = item.split(';').map(str::trim);
    parts.next().is_some_and(|c| c.eq_ignore_ascii_case("dcb"))
        && !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        })
}

/// The layer in front of the package's static files (paths relative to the package).
pub async fn serve(
    State(dictionary): State<Arc<ShellDictionary>>,
    req: Request,
    next: Next,
) -> Response {
    if dictionary.is_empty() || req.method() != Method::GET {
        return next.run(req).await;
    }
    let name = req.uri().path().trim_start_matches('/');
    if name == dictionary.shell {
        let mut res = next.run(req).await;
        if res.status() == StatusCode::OK {
            res.headers_mut()
                .insert("use-as-dictionary", dictionary.use_as.clone());
        }
        return res;
    }
    let Some(chunk) = dictionary.chunks.get(name) else {
        return next.run(req).await;
    };
    let vary = HeaderValue::from_static("accept-encoding, available-dictionary");
    // A byte range of the encoded file is no use to a browser decoding a stream.
    if !dictionary.accepted_by(req.headers()) || req.headers().contains_key(header::RANGE) {
        let mut res = next.run(req).await;
        res.headers_mut().insert(header::VARY, vary);
        return res;
    }
    let unchanged = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .is_some_and(|since| since == chunk.last_modified);
    let validators = [
        (header::VARY, vary),
        (header::LAST_MODIFIED, chunk.last_modified.clone()),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    let encoding = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/wasm"),
        ),
        (header::CONTENT_ENCODING, HeaderValue::from_static("dcb")),
    ];
    (validators, encoding, Body::from(chunk.body.clone())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::services::ServeDir;

    const SHELL: &str = "app.wasm";

    /// A temporary package folder, removed when the test ends.
    struct Folder(std::path::PathBuf);
    impl std::ops::Deref for Folder {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A package folder: the shell, a chunk with its `.br` and `.dcb`, and a chunk whose
    /// `.dcb` was made against an earlier shell.
    fn package() -> (Folder, Vec<u8>) {
        let dir = std::env::temp_dir().join(format!("dictionary-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let shell: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let chunk = shell[10_000..30_000].to_vec();
        let dcb = precompress::encode(&shell, &chunk).unwrap();
        std::fs::write(dir.join(SHELL), &shell).unwrap();
        std::fs::write(dir.join("page.wasm"), &chunk).unwrap();
        std::fs::write(dir.join("page.wasm.br"), b"brotli bytes").unwrap();
        std::fs::write(dir.join("page.wasm.dcb"), &dcb).unwrap();
        std::fs::write(dir.join("old.wasm"), &chunk).unwrap();
        std::fs::write(dir.join("old.wasm.br"), b"brotli bytes").unwrap();
        let earlier = precompress::encode(b"an earlier shell", &chunk).unwrap();
        std::fs::write(dir.join("old.wasm.dcb"), earlier).unwrap();
        (Folder(dir), dcb)
    }

    fn app(dir: &Path) -> Router {
        let dictionary = ShellDictionary::load(dir, "pkg", SHELL);
        let pkg = Router::new()
            .fallback_service(ServeDir::new(dir).precompressed_br())
            .layer(axum::middleware::from_fn_with_state(dictionary, serve));
        Router::new().nest_service("/pkg", pkg)
    }

    fn available(shell: &[u8]) -> String {
        precompress::available_dictionary(&precompress::dictionary_hash(shell))
    }

    async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::builder().uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        app.clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn body(res: Response) -> Vec<u8> {
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn the_shell_offers_itself_as_the_dictionary_for_the_package() {
        let (dir, _) = package();
        let res = get(&app(&dir), "/pkg/app.wasm", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["use-as-dictionary"], "match=\"/pkg/*.wasm\"");
    }

    #[tokio::test]
    async fn a_browser_holding_the_shell_gets_the_chunk_compressed_against_it() {
        let (dir, dcb) = package();
        let shell = std::fs::read(dir.join(SHELL)).unwrap();
        let app = app(&dir);
        let ad = available(&shell);
        let res = get(
            &app,
            "/pkg/page.wasm",
            &[
                ("accept-encoding", "gzip, br, zstd, dcb, dcz"),
                ("available-dictionary", &ad),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], "dcb");
        assert_eq!(res.headers()["content-type"], "application/wasm");
        assert_eq!(
            res.headers()["vary"],
            "accept-encoding, available-dictionary"
        );
        let last_modified = res.headers()["last-modified"].clone();
        assert_eq!(body(res).await, dcb);

        // The browser's cache revalidates with the date it was given.
        let since = last_modified.to_str().unwrap();
        let res = get(
            &app,
            "/pkg/page.wasm",
            &[
                ("accept-encoding", "br, dcb"),
                ("available-dictionary", &ad),
                ("if-modified-since", since),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(body(res).await.is_empty());
    }

    #[tokio::test]
    async fn anything_short_of_this_shell_and_dcb_gets_plain_brotli() {
        let (dir, _) = package();
        let shell = std::fs::read(dir.join(SHELL)).unwrap();
        let app = app(&dir);
        let ad = available(&shell);
        let other = available(b"another shell");
        let cases: [(&str, &[(&str, &str)]); 5] = [
            ("no dictionary", &[("accept-encoding", "br, dcb")]),
            (
                "another shell",
                &[
                    ("accept-encoding", "br, dcb"),
                    ("available-dictionary", &other),
                ],
            ),
            (
                "dcb not accepted",
                &[("accept-encoding", "br"), ("available-dictionary", &ad)],
            ),
            (
                "dcb refused",
                &[
                    ("accept-encoding", "br, dcb;q=0"),
                    ("available-dictionary", &ad),
                ],
            ),
            (
                "a byte range",
                &[
                    ("accept-encoding", "br, dcb"),
                    ("available-dictionary", &ad),
                    ("range", "bytes=0-3"),
                ],
            ),
        ];
        for (case, headers) in cases {
            let res = get(&app, "/pkg/page.wasm", headers).await;
            assert_ne!(
                res.headers()
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap()),
                Some("dcb"),
                "{case}"
            );
            let vary = res
                .headers()
                .get_all("vary")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned());
            assert!(
                vary.collect::<Vec<_>>()
                    .join(",")
                    .contains("available-dictionary"),
                "{case}: caches must keep the two apart"
            );
        }
        let res = get(&app, "/pkg/page.wasm", &[("accept-encoding", "br, dcb")]).await;
        assert_eq!(res.headers()["content-encoding"], "br");
        assert_eq!(body(res).await, b"brotli bytes");
    }

    #[tokio::test]
    async fn a_dcb_file_from_an_earlier_shell_is_never_sent() {
        let (dir, _) = package();
        let shell = std::fs::read(dir.join(SHELL)).unwrap();
        let ad = available(&shell);
        let res = get(
            &app(&dir),
            "/pkg/old.wasm",
            &[
                ("accept-encoding", "br, dcb"),
                ("available-dictionary", &ad),
            ],
        )
        .await;
        assert_eq!(res.headers()["content-encoding"], "br");
    }

    #[tokio::test]
    async fn without_dcb_files_nothing_changes() {
        let (dir, _) = package();
        for name in ["page.wasm.dcb", "old.wasm.dcb"] {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        let res = get(&app(&dir), "/pkg/app.wasm", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!res.headers().contains_key("use-as-dictionary"));
    }
}
