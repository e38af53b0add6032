//! Partner Portal: the browser app (Leptos CSR). Talks to `portal-server`
//! through the typed client in [`api`], over the wire types of `portal-contract`.

pub mod api;
pub mod app;
pub mod components;
pub mod pages;
pub mod routes;
pub mod session;

/// Mounts the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
