//! The apps' wasm keeps the linker's relocations (`--emit-relocs`):
//! `scripts/split-wasm.sh` needs them to split each app at its lazily loaded
//! pages. Only the two apps' binaries: the tests are not split.
fn main() {
    // Without this, cargo would run the script again, and relink the app,
    // whenever any file of the package changed.
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bin=portal=--emit-relocs");
        println!("cargo:rustc-link-arg-bin=portal-sign-in=--emit-relocs");
    }
}
