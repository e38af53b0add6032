//! The signed-in frame: loads the session (or sends the visitor to sign in and
//! back), then shows the sidebar, the header with the organisation and the
//! user menu, and the page; on a phone the sidebar becomes a sheet behind a
//! menu button. The 404 page sits in the same frame for a signed-in user.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;
use portal_contract::ErrorCode;

use crate::api;
use crate::components::load_error::LoadError;
use crate::components::modal::{DialogKind, Modal};
use crate::components::progress::ProgressBar;
use crate::components::toast::use_toaster;
use crate::flash;
use crate::pages::not_found::NotFoundPage;
use crate::routes::{Page, sign_in_href};
use crate::session::use_session;

#[component]
pub fn SignedInLayout() -> impl IntoView {
    let session = use_session();
    let location = use_location();

    // Where the visitor was going, for the way back after sign-in.
    let here = move || {
        let search = location.search.get_untracked();
        let path = location.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    // The sign-in app is another page: hand over with a full page load.
    api::on_unauthenticated(move || {
        if session.0.with_untracked(Option::is_some) {
            flash::set("Your session has ended. Sign in again to go on.");
        }
        session.0.set(None);
        flash::replace_page(&sign_in_href(&here()));
    });

    let load = LocalResource::new(move || async move {
        match session.0.get_untracked() {
            Some(known) => Ok(known),
            None => api::session().await,
        }
    });
    // A 401 has already sent the visitor to sign in (see `on_unauthenticated`).
    Effect::new(move || {
        if let Some(Ok(s)) = load.get() {
            session.0.set(Some(s));
        }
    });

    move || match (session.0.get(), load.get()) {
        (Some(_), _) => view! {
            <Shell>
                <Outlet />
            </Shell>
        }
        .into_any(),
        (None, Some(Err(e))) if e.code() != Some(ErrorCode::Unauthenticated) => view! {
            <main id="main" class="centered">
                <h1 class="visually-hidden">"We couldn't load the portal"</h1>
                <LoadError message=e.message() on_retry=move || load.refetch() />
            </main>
        }
        .into_any(),
        // The frame's shape while the session loads (index.html paints the
        // same before the wasm has loaded), so nothing moves when it is there.
        _ => view! {
            <div class="shell">
                <div class="sidebar" aria-hidden="true">
                    <p class="brand">"Partner Portal"</p>
                </div>
                <div class="content">
                    <header class="topbar"></header>
                    <main id="main" aria-busy="true">
                        <p class="loading visually-hidden">"Loading the portal…"</p>
                        {match Page::at(&location.pathname.get_untracked())
                            .and_then(|page| page.info().frame_title)
                        {
                            Some(title) => {
                                view! {
                                    <div class="page-header">
                                        <h1>{title}</h1>
                                    </div>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <div class="skeleton-header" aria-hidden="true">
                                        <span class="skeleton-bar skeleton-title"></span>
                                    </div>
                                }
                                    .into_any()
                            }
                        }}
                    </main>
                </div>
            </div>
        }
        .into_any(),
    }
}

/// A path the portal doesn't have: inside the frame for a signed-in user,
/// on its own for a visitor (who is not sent to sign in for a bad link).
#[component]
pub fn PortalNotFound() -> impl IntoView {
    let session = use_session();
    let load = LocalResource::new(move || async move {
        match session.0.get_untracked() {
            Some(known) => Ok(known),
            None => api::session().await,
        }
    });
    Effect::new(move || {
        if let Some(Ok(s)) = load.get() {
            session.0.set(Some(s));
        }
    });
    move || {
        match (session.0.get(), load.get()) {
        (Some(_), _) => view! {
            <Shell>
                <div class="empty">
                    <h1>"Page not found"</h1>
                    <p>
                        "There's nothing at this address. It may have moved, or the link may be wrong."
                    </p>
                    <A href=Page::Overview.path() attr:class="button">
                        "Go to the overview"
                    </A>
                </div>
            </Shell>
        }
        .into_any(),
        (None, Some(_)) => view! { <NotFoundPage /> }.into_any(),
        _ => view! { <main id="main" class="centered" aria-busy="true"></main> }.into_any(),
    }
    }
}

/// The sidebar, header and page of a signed-in user; on a phone, a top bar
/// whose menu button opens the navigation as a sheet.
#[component]
fn Shell(children: Children) -> impl IntoView {
    let session = use_session();
    let toaster = use_toaster();
    let location = use_location();
    let menu_open = RwSignal::new(false);
    let nav_open = RwSignal::new(false);
    let signing_out = RwSignal::new(false);
    let main_region = NodeRef::<leptos::html::Main>::new();
    // Following a link in the sheet closes it. The document names the new
    // page: its heading may wait for data, so it looks again a few times.
    Effect::new(move |_| {
        location.pathname.track();
        location.search.track();
        nav_open.set(false);
        for ms in [0, 150, 500, 1500, 4000] {
            let look = move || {
                // The frame may be gone by then (signed out): then nothing.
                if let Some(main) = main_region.try_get_untracked().flatten() {
                    name_the_document(&main);
                }
            };
            set_timeout(look, std::time::Duration::from_millis(ms));
        }
    });
    let org_name = move || {
        session
            .0
            .with(|s| s.as_ref().map(|s| s.organisation.name.clone()))
    };
    let user_name = move || {
        session
            .0
            .with(|s| s.as_ref().map(|s| s.user.full_name.clone()))
    };
    let user_email = move || session.0.with(|s| s.as_ref().map(|s| s.user.email.clone()));

    let sign_out = move |_| {
        if signing_out.get_untracked() {
            return;
        }
        signing_out.set(true);
        spawn_local(async move {
            let result = api::sign_out().await;
            signing_out.set(false);
            match result {
                Ok(()) => {
                    session.0.set(None);
                    flash::set("You're signed out.");
                    flash::open_page(Page::SignIn.path());
                }
                Err(e) => toaster.error(e.message()),
            }
        });
    };
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            menu_open.set(false);
        }
    };
    // Focus (or a click) leaving the menu closes it.
    let close_on_focus_out = move |ev: leptos::ev::FocusEvent| {
        use leptos::wasm_bindgen::JsCast;
        let menu = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let next = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if !menu.is_some_and(|menu| menu.contains(next.as_ref())) {
            menu_open.set(false);
        }
    };

    view! {
        <ProgressBar />
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <p class="brand">"Partner Portal"</p>
                <p class="org-name truncate">{org_name}</p>
                <NavLinks />
            </nav>
            <div class="content">
                <header class="topbar">
                    <button
                        type="button"
                        class="nav-button"
                        aria-label="Open the navigation"
                        aria-haspopup="dialog"
                        aria-expanded=move || nav_open.get().to_string()
                        on:click=move |_| nav_open.set(true)
                    >
                        <span class="nav-icon" aria-hidden="true"></span>
                    </button>
                    <p class="brand topbar-brand">"Partner Portal"</p>
                    <div
                        class="menu-anchor topbar-end"
                        on:keydown=close_on_escape
                        on:focusout=close_on_focus_out
                    >
                        <button
                            type="button"
                            class="user-button"
                            aria-haspopup="true"
                            aria-expanded=move || menu_open.get().to_string()
                            aria-controls="user-menu"
                            on:click=move |_| menu_open.update(|o| *o = !*o)
                        >
                            {user_name}
                        </button>
                        <div id="user-menu" class="menu" hidden=move || !menu_open.get()>
                            <p class="menu-email">{user_email}</p>
                            <A href=Page::Settings.path() on:click=move |_| menu_open.set(false)>
                                "Settings"
                            </A>
                            <button
                                type="button"
                                class="menu-item"
                                on:click=sign_out
                                disabled=move || signing_out.get()
                            >
                                "Sign out"
                            </button>
                        </div>
                    </div>
                </header>
                <main id="main" tabindex="-1" node_ref=main_region>
                    {children()}
                </main>
            </div>
        </div>
        <Show when=move || nav_open.get()>
            <Modal
                title="Partner Portal"
                kind=DialogKind::SheetLeft
                on_close=move || nav_open.set(false)
            >
                <nav aria-label="Main">
                    <p class="org-name truncate">{org_name}</p>
                    <NavLinks />
                </nav>
            </Modal>
        </Show>
    }
}

/// The main pages, the current one marked.
#[component]
fn NavLinks() -> impl IntoView {
    view! {
        <ul class="nav-list">
            <li>
                <A href=Page::Overview.path() exact=true>
                    "Overview"
                </A>
            </li>
            <li>
                <A href=Page::Projects.path()>"Projects"</A>
            </li>
            <li>
                <A href=Page::Team.path()>"Team"</A>
            </li>
            <li>
                <A href=Page::Settings.path()>"Settings"</A>
            </li>
        </ul>
    }
}

/// The document names the page, from what the page shows: its open tab and
/// its heading, then the product ("Credentials · Checkout backend · Partner
/// Portal"), so tabs, history and bookmarks can be told apart. Read from the
/// page rather than written by each: the page's own words are the ones to use.
fn name_the_document(main: &web_sys::HtmlElement) {
    let text = |selector: &str| {
        main.query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let mut parts: Vec<String> = [text(".tabs span[aria-current=page]"), text("h1")]
        .into_iter()
        .flatten()
        .collect();
    parts.push("Partner Portal".to_owned());
    let title = parts.join(" · ");
    if document().title() != title {
        document().set_title(&title);
    }
}
