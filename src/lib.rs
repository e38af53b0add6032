//! Partner Portal: the browser apps (Leptos CSR). Talks to `portal-server`
//! through the typed client in [`api`], over the wire types of `portal-contract`.
//!
//! Two apps share this library: the small sign-in app (sign-in, sign-up,
//! confirm, invite), which is all a signed-out visitor downloads, and the
//! portal app (everything after sign-in). Each is its own binary.

pub mod api;
pub mod app;
pub mod components;
pub mod flash;
pub mod format;
pub mod pages;
pub mod routes;
pub mod session;

/// Mounts the portal app (its entry point, `main.rs`, holds its router) on
/// `<body>`.
pub fn start_portal<V: leptos::prelude::IntoView + 'static>(app: fn() -> V) {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // The frame index.html painted while the wasm loaded; the app draws the
    // same one.
    if let Some(boot) = leptos::prelude::document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(app);
}

/// Mounts the sign-in app on `<body>`.
pub fn start_sign_in() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::SignInApp);
}
