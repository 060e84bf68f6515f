//! One response per page: each lazy page's chunks packed into one `bundle-<key>.wasm`, which
//! the chunks' loader fetches instead of the chunks apart on a page's first load
//! (`bundle_loader.js`). Some 200 small files compress far worse apart than as one (a
//! domain's DNS page: 145 kB of chunks apart, 112 kB as one file, both against the shell;
//! BENCHMARKS.md, first-load budget). Only the first set of chunks a page asks for comes
//! from a bundle; a later client-side navigation fetches the chunks it lacks one by one.

use precompress::{bundle_file, bundle_key, bundle_members};
use std::collections::BTreeMap;
use std::path::Path;

/// The loader's helpers; `__CMR_BUNDLE_KEYS__` is replaced by the keys of the bundles written.
const LOADER_HELPERS: &str = include_str!("bundle_loader.js");

/// The bundle's bytes: a little-endian u32 header length, the header (the names joined by
/// commas, which the loader checks against the set it asked for), then each chunk as a u32
/// length and its bytes.
pub fn pack(names: &[String], chunks: &[Vec<u8>]) -> Vec<u8> {
    let header = names.join(",");
    let mut out =
        Vec::with_capacity(4 + header.len() + chunks.iter().map(|c| 4 + c.len()).sum::<usize>());
    out.extend_from_slice(&len_u32(header.len()).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for chunk in chunks {
        out.extend_from_slice(&len_u32(chunk.len()).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).expect("a wasm chunk is smaller than 4 GB")
}

/// The generated loader with every chunk fetch going through `__cmrFetch`, which knows the
/// bundles of `splits` (each page's chunks, as the manifest lists them). Errors when the
/// loader does not look as expected, rather than shipping a loader that silently never
/// bundles.
pub fn patch_loader<'a>(
    loader: &str,
    splits: impl IntoIterator<Item = &'a Vec<String>>,
) -> Result<String, String> {
    const OPEN: &str = "fetch(new URL(\"./";
    const CLOSE: &str = ".wasm\", import.meta.url))";
    let mut out = String::with_capacity(loader.len() + LOADER_HELPERS.len());
    let mut rest = loader;
    let mut fetches = 0;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let end = after
            .find(CLOSE)
            .ok_or_else(|| "the chunks' loader has a fetch this tool does not know".to_owned())?;
        out.push_str(&rest[..at]);
        out.push_str(&format!("__cmrFetch(\"{}\")", &after[..end]));
        rest = &after[end + CLOSE.len()..];
        fetches += 1;
    }
    out.push_str(rest);
    if fetches == 0 {
        return Err("the chunks' loader fetches no chunk".to_owned());
    }
    // Sorted, so the same build writes the same loader whatever order the splits come in.
    let mut keys: Vec<String> = splits
        .into_iter()
        .map(|chunks| format!("\"{}\"", bundle_key(&bundle_members(chunks))))
        .collect();
    keys.sort();
    let helpers = LOADER_HELPERS.replace("__CMR_BUNDLE_KEYS__", &format!("[{}]", keys.join(", ")));
    Ok(format!("{out}\n{helpers}"))
}

/// Writes `bundle-<key>.wasm` into `pkg` for every split in its manifest, from the chunk files
/// as they are now (after wasm-opt). Answers how many it wrote.
pub fn write_bundles(pkg: &Path) -> Result<usize, String> {
    let manifest = read_manifest(pkg)?;
    for chunks in manifest.values() {
        let names = bundle_members(chunks);
        let bytes = names
            .iter()
            .map(|name| {
                let file = pkg.join(format!("{name}.wasm"));
                std::fs::read(&file).map_err(|err| format!("{}: {err}", file.display()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = pkg.join(bundle_file(&names));
        std::fs::write(&out, pack(&names, &bytes))
            .map_err(|err| format!("{}: {err}", out.display()))?;
    }
    Ok(manifest.len())
}

fn read_manifest(pkg: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let file = pkg.join("__wasm_split_manifest.json");
    let text =
        std::fs::read_to_string(&file).map_err(|err| format!("{}: {err}", file.display()))?;
    serde_json::from_str(&text).map_err(|err| format!("{}: {err}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_bundle_carries_its_names_then_each_chunk_with_its_length() {
        let set = names(&["chunk_1", "chunk_2"]);
        let packed = pack(&set, &[vec![0, 97, 115, 109], vec![7]]);
        let header = b"chunk_1,chunk_2";
        let mut expected = (header.len() as u32).to_le_bytes().to_vec();
        expected.extend_from_slice(header);
        expected.extend_from_slice(&4u32.to_le_bytes());
        expected.extend_from_slice(&[0, 97, 115, 109]);
        expected.extend_from_slice(&1u32.to_le_bytes());
        expected.push(7);
        assert_eq!(packed, expected);
    }

    #[test]
    fn every_fetch_in_the_loader_goes_through_the_bundles() {
        let loader = "const a = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_3.wasm\", import.meta.url));\n}, []);\nconst b = fetch(new URL(\"./split___home_view_9.wasm\", import.meta.url));\n";
        let mut manifest = BTreeMap::new();
        manifest.insert(
            "__home_view_9".to_owned(),
            names(&["split___home_view_9", "chunk_3"]),
        );
        let patched = patch_loader(loader, manifest.values()).unwrap();
        assert!(
            patched.contains("const src = __cmrFetch(\"chunk_3\");"),
            "{patched}"
        );
        assert!(
            patched.contains("const b = __cmrFetch(\"split___home_view_9\");"),
            "{patched}"
        );
        assert!(!patched.contains("fetch(new URL(\"./"), "{patched}");
        let expected_key = bundle_key(&names(&["chunk_3", "split___home_view_9"]));
        assert!(
            patched.contains(&format!("new Set([\"{expected_key}\"])")),
            "{patched}"
        );
        assert!(patch_loader("no fetches here", manifest.values()).is_err());
    }

    #[test]
    fn bundles_are_written_from_the_chunk_files() {
        let dir = std::env::temp_dir().join(format!("split-wasm-bundles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("chunk_1.wasm"), b"one").unwrap();
        std::fs::write(dir.join("split___a.wasm"), b"page").unwrap();
        std::fs::write(
            dir.join("__wasm_split_manifest.json"),
            r#"{"__a": ["split___a", "chunk_1"]}"#,
        )
        .unwrap();
        assert_eq!(write_bundles(&dir), Ok(1));
        let set = names(&["chunk_1", "split___a"]);
        let written = std::fs::read(dir.join(bundle_file(&set))).unwrap();
        assert_eq!(written, pack(&set, &[b"one".to_vec(), b"page".to_vec()]));
        std::fs::remove_file(dir.join("chunk_1.wasm")).unwrap();
        assert!(write_bundles(&dir).unwrap_err().contains("chunk_1.wasm"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
