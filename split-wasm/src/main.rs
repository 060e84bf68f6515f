//! `split-wasm <input wasm> <pkg dir> <output name>`: takes the hydration paths islands never
//! run out of the browser build's wasm (`unused_hydration.rs`), then cuts it at its lazy pages'
//! split points (app/src/lazy_pages.rs). It writes each chunk and its loader into the pkg dir,
//! the shell beside the input as `<stem>_split.wasm` for wasm-bindgen, and
//! `__wasm_split_manifest.json`, each page's chunks. The loader fetches a page's chunks as one
//! bundle on its first load (`bundle.rs`).
//!
//! `split-wasm --bundle <pkg dir>`, once wasm-opt has run on the chunks: writes those bundles.
//!
//! The same cut, file names and manifest as `cargo leptos build --split`: scripts/release
//! builds the release without cargo-leptos (compiling it took a quarter of a fresh machine's
//! CI), while `scripts/run` keeps it for development.

mod bundle;
mod unused_hydration;

use std::path::{Path, PathBuf};

/// The loader's name leptos expects (`leptos::hydration`); the underscores stand where a
/// content hash goes when hashed file names are on.
const LOADER: &str = "./__wasm_split.______________________.js";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.as_slice() {
        [flag, pkg] if flag == "--bundle" => bundle::write_bundles(Path::new(pkg))
            .map(|bundles| format!("{bundles} page bundles in {pkg}")),
        [input, pkg, name] => run(Path::new(input), Path::new(pkg), name)
            .map(|chunks| format!("{chunks} chunks in {pkg}")),
        _ => {
            eprintln!("usage: split-wasm <input wasm> <pkg dir> <output name>");
            eprintln!("       split-wasm --bundle <pkg dir>");
            std::process::exit(2);
        }
    };
    match outcome {
        Ok(done) => println!("split-wasm: {done}"),
        Err(err) => {
            eprintln!("split-wasm: {err}");
            std::process::exit(1);
        }
    }
}

fn run(input: &Path, pkg: &Path, name: &str) -> Result<usize, String> {
    let wasm = std::fs::read(input).map_err(|err| format!("{}: {err}", input.display()))?;
    let (wasm, stubbed) = unused_hydration::stub(&wasm)?;
    println!(
        "split-wasm: {} functions of hydration islands never run emptied ({} B; {} kept: live code calls them)",
        stubbed.stubbed, stubbed.bytes, stubbed.kept
    );
    let main_out = split_name(input);
    let main_module = format!("./{name}.js");
    std::fs::create_dir_all(pkg).map_err(|err| format!("{}: {err}", pkg.display()))?;
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = pkg;
        opts.main_out_path = &main_out;
        opts.main_module = &main_module;
        opts.link_name = LOADER;
        opts
    })
    .map_err(|err| format!("splitting {}: {err}", input.display()))?;
    let manifest = pkg.join("__wasm_split_manifest.json");
    let json = serde_json::to_string_pretty(&split.prefetch_map).map_err(|err| err.to_string())?;
    std::fs::write(&manifest, json).map_err(|err| format!("{}: {err}", manifest.display()))?;
    let loader = pkg.join(LOADER.trim_start_matches("./"));
    let generated =
        std::fs::read_to_string(&loader).map_err(|err| format!("{}: {err}", loader.display()))?;
    let patched = bundle::patch_loader(&generated, split.prefetch_map.values())?;
    std::fs::write(&loader, patched).map_err(|err| format!("{}: {err}", loader.display()))?;
    Ok(split.split_modules.len())
}

/// `dir/cmr_admin.wasm` → `dir/cmr_admin_split.wasm`.
fn split_name(input: &Path) -> PathBuf {
    let stem = input.file_stem().unwrap_or_default().to_string_lossy();
    input.with_file_name(format!("{stem}_split.wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_goes_beside_the_input() {
        assert_eq!(
            split_name(Path::new("target/front/x/cmr_admin.wasm")),
            Path::new("target/front/x/cmr_admin_split.wasm")
        );
    }
}
