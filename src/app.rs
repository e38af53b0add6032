//! What both apps share (their contexts), and the sign-in app. The portal
//! app's router is in its entry point, `main.rs`, next to its lazily loaded
//! pages.

use leptos::prelude::*;

use crate::components::toast::{ToastRegion, provide_toaster};
use crate::flash;
use crate::session::provide_session_context;

/// Contexts both apps share, and the notice the previous page left.
pub fn provide_contexts() {
    let toaster = provide_toaster();
    provide_session_context();
    if let Some(message) = flash::take() {
        toaster.success(message);
    }
}

/// How to draw a page: a function, so the sign-in app's entry point can
/// hand over a page whose code it loaded (`src/bin/sign_in.rs`).
pub type Draw = fn() -> AnyView;

/// Sign-in, sign-up, email confirmation and invitations: all a signed-out
/// visitor downloads, one page of it at a time. No router: the entry point
/// chooses the page once from the address, and the links between these pages
/// are page loads (the wasm is cached), which saves every signed-out visitor
/// leptos_router's bytes.
#[component]
pub fn SignInApp(page: Draw) -> impl IntoView {
    provide_contexts();
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        {page()}
        <ToastRegion />
    }
}
