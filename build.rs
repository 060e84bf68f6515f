//! The browser build keeps its data segments apart at link time, so that `--split` can move a
//! page's own data (its text) into that page's chunk instead of leaving every page's data in
//! the main module (leptos-rs/cargo-leptos#679: merged segments all stay in the main module).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch.starts_with("wasm")) {
        println!("cargo:rustc-link-arg-cdylib=--no-merge-data-segments");
    }
}
