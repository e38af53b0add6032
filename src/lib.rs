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
    use leptos::prelude::{document, window};
    use wasm_bindgen::JsCast;
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // index.html paints the signed-in frame, with the page's title, while the
    // wasm loads; the app draws the same one in its place. When the wasm is
    // there before the browser's first paint (a fast connection, a cached
    // app), swapping at once would leave that frame unseen, and the app's
    // title, shown after the session has loaded, would be the largest paint.
    // So the swap waits for `portalFrameShown` (index.html).
    let shown = js_sys::Reflect::get(&window(), &"portalFrameShown".into())
        .ok()
        .and_then(|shown| shown.dyn_into::<js_sys::Promise>().ok());
    // Not leptos's spawn_local: its executor starts with the app.
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(shown) = shown {
            let _ = wasm_bindgen_futures::JsFuture::from(shown).await;
        }
        if let Some(boot) = document().get_element_by_id("boot") {
            boot.remove();
        }
        leptos::mount::mount_to_body(app);
    });
}

/// Mounts the sign-in app on `<body>`, showing `page`.
pub fn start_sign_in(page: app::Draw) {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(move || leptos::view! { <app::SignInApp page=page /> });
}
