//! What both apps share (their contexts), and the sign-in app. The portal
//! app's router is in its entry point, `main.rs`, next to its lazily loaded
//! pages.

use leptos::prelude::*;

use crate::components::toast::{ToastRegion, provide_toaster};
use crate::flash;
use crate::pages::confirm::ConfirmPage;
use crate::pages::invite::InvitePage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::sign_in::SignInPage;
use crate::pages::sign_up::SignUpPage;
use crate::routes::Page;
use crate::session::provide_session_context;

/// Contexts both apps share, and the notice the previous page left.
pub fn provide_contexts() {
    let toaster = provide_toaster();
    provide_session_context();
    if let Some(message) = flash::take() {
        toaster.success(message);
    }
}

/// Sign-in, sign-up, email confirmation and invitations: all a signed-out
/// visitor downloads. No router: the page is chosen once from the address,
/// and the links between these pages are page loads (the wasm is cached),
/// which saves every signed-out visitor leptos_router's bytes.
#[component]
pub fn SignInApp() -> impl IntoView {
    provide_contexts();
    let path = window().location().pathname().unwrap_or_default();
    // The page table's addresses, compared as they are: `Page::at` would cost
    // every signed-out visitor its pattern matching, for four fixed paths.
    let page = match path.as_str() {
        p if p == Page::SignIn.path() => view! { <SignInPage /> }.into_any(),
        p if p == Page::SignUp.path() => view! { <SignUpPage /> }.into_any(),
        p if p == Page::SignUpConfirm.path() => view! { <ConfirmPage /> }.into_any(),
        p if p == Page::Invite.path() => view! { <InvitePage /> }.into_any(),
        _ => view! { <NotFoundPage /> }.into_any(),
    };
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        {page}
        <ToastRegion />
    }
}
