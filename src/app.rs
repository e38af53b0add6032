//! The app: contexts, the router and its routes.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::toast::{ToastRegion, provide_toaster};
use crate::pages::confirm::ConfirmPage;
use crate::pages::layout::SignedInLayout;
use crate::pages::not_found::NotFoundPage;
use crate::pages::overview::OverviewPage;
use crate::pages::settings::SettingsPage;
use crate::pages::sign_in::SignInPage;
use crate::pages::sign_up::SignUpPage;
use crate::session::provide_session_context;

#[component]
pub fn App() -> impl IntoView {
    provide_toaster();
    provide_session_context();
    view! {
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/signin") view=SignInPage />
                <Route path=path!("/signup") view=SignUpPage />
                <Route path=path!("/signup/confirm") view=ConfirmPage />
                <ParentRoute path=path!("") view=SignedInLayout>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
            <ToastRegion />
        </Router>
    }
}
