//! The two apps: their contexts, routers and routes.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::progress::provide_progress;
use crate::components::toast::{ToastRegion, provide_toaster};
use crate::flash;
use crate::pages::confirm::ConfirmPage;
use crate::pages::invite::InvitePage;
use crate::pages::layout::{PortalNotFound, SignedInLayout};
use crate::pages::not_found::NotFoundPage;
use crate::pages::overview::OverviewPage;
use crate::pages::project::ProjectPage;
use crate::pages::projects::ProjectsPage;
use crate::pages::settings::SettingsPage;
use crate::pages::sign_in::SignInPage;
use crate::pages::sign_up::SignUpPage;
use crate::pages::team::TeamPage;
use crate::pages::webhook::WebhookPage;
use crate::session::provide_session_context;

/// Contexts both apps share, and the notice the previous page left.
fn provide_contexts() {
    let toaster = provide_toaster();
    provide_session_context();
    if let Some(message) = flash::take() {
        toaster.success(message);
    }
}

/// Everything after sign-in.
#[component]
pub fn PortalApp() -> impl IntoView {
    provide_contexts();
    provide_progress();
    view! {
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Routes fallback=PortalNotFound>
                <ParentRoute path=path!("") view=SignedInLayout>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("projects") view=ProjectsPage />
                    <Route path=path!("projects/:id") view=ProjectPage />
                    <Route path=path!("projects/:id/webhooks/:wid") view=WebhookPage />
                    <Route path=path!("team") view=TeamPage />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
            <ToastRegion />
        </Router>
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
    let page = match path.as_str() {
        "/signin" => view! { <SignInPage /> }.into_any(),
        "/signup" => view! { <SignUpPage /> }.into_any(),
        "/signup/confirm" => view! { <ConfirmPage /> }.into_any(),
        "/invite" => view! { <InvitePage /> }.into_any(),
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
