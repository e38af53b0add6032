//! The wasm entry point of the sign-in app (sign-in, sign-up, confirm, invite).

fn main() {
    portal::start_sign_in();
}
