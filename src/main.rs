//! The wasm entry point of the portal app.

fn main() {
    portal::start_portal();
}
