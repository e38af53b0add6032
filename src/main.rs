//! The wasm entry point trunk builds.

fn main() {
    portal::start();
}
