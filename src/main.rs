//! The wasm entry point of the portal app: every page after sign-in, in the
//! signed-in frame.
//!
//! The overview and projects pages, where a partner lands, are in the app's
//! own module. The other pages are chunks of their own (`lazy_page!`, on
//! `wasm_split`, what Leptos' `#[lazy]` is made of): the build splits the
//! wasm at these functions (`scripts/split-wasm.sh`),
//! so a first load carries the frame and the landing pages, and the router
//! fetches another page's chunk when it is first shown (a page opened by its
//! address gets its chunk preloaded by the server). Splitting the landing pages
//! out too made their first load smaller but slower: some twenty small
//! modules to fetch, one round trip each. The split functions live here, in
//! the binary, and not in the library: the library's component tests run its
//! pages unsplit, where an import of the splitter's loader could not resolve.

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{Lazy, LazyRoute, path};
use portal::app::provide_contexts;
use portal::components::load_error::page_missing;
use portal::components::progress::{provide_progress, track_progress};
use portal::components::toast::ToastRegion;
use portal::pages::layout::{PortalNotFound, SignedInLayout};
use portal::pages::overview::OverviewPage;
use portal::pages::project::ProjectPage;
use portal::pages::projects::ProjectsPage;
use portal::pages::settings::SettingsPage;
use portal::pages::team::TeamPage;
use portal::pages::webhook::WebhookPage;

/// `lazy_page!(Route, chunk, Page)`: the route `Route` shows `<Page />`, whose
/// code is the chunk `chunk` (`wasm_split`, which Leptos' `#[lazy]` wraps:
/// here with `fallible`, so a chunk that can't be loaded is an error the page
/// answers, see [`page_missing`], not a panic).
macro_rules! lazy_page {
    ($route:ident, $chunk:ident, $page:ident) => {
        /// The route, with the address it is opened at.
        struct $route(String);

        impl $route {
            /// The route's view. (A method, because `view!` can't take a
            /// turbofish like `Lazy::<Route>::new()` unbraced, and leptosfmt
            /// removes the braces.)
            fn lazy() -> Lazy<Self> {
                Lazy::new()
            }
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route(current_address())
            }

            async fn view(this: Self) -> AnyView {
                match $chunk().await {
                    Ok(page) => page,
                    Err(_) => page_missing(this.0),
                }
            }
        }

        #[::leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $chunk() -> Result<AnyView, SplitLoaderError> {
            Ok(view! { <$page /> }.into_any())
        }
    };
}

/// The address the router is going to.
fn current_address() -> String {
    let location = use_location();
    format!(
        "{}{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked(),
        location.hash.get_untracked()
    )
}

lazy_page!(Project, project_page, ProjectPage);
lazy_page!(Webhook, webhook_page, WebhookPage);
lazy_page!(Team, team_page, TeamPage);
lazy_page!(Settings, settings_page, SettingsPage);

/// Everything after sign-in.
#[component]
fn PortalApp() -> impl IntoView {
    provide_contexts();
    provide_progress();
    view! {
        // A page whose code is on its way shows the page's progress bar.
        <Router set_is_routing=track_progress()>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Routes fallback=PortalNotFound>
                <ParentRoute path=path!("") view=SignedInLayout>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("projects") view=ProjectsPage />
                    <Route path=path!("projects/:id") view=Project::lazy() />
                    <Route path=path!("projects/:id/webhooks/:wid") view=Webhook::lazy() />
                    <Route path=path!("team") view=Team::lazy() />
                    <Route path=path!("settings") view=Settings::lazy() />
                </ParentRoute>
            </Routes>
            <ToastRegion />
        </Router>
    }
}

fn main() {
    portal::start_portal(PortalApp);
}
