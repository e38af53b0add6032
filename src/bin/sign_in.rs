//! The wasm entry point of the sign-in app (sign-in, sign-up, confirm,
//! invite).
//!
//! The sign-in page, where most signed-out visitors land, is in the app's
//! own module; each of the other pages is a chunk of its own (`wasm_split`,
//! as in `src/main.rs`), which the server preloads with the page that shows
//! it. A visitor signing in downloads only the sign-in page's code.

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use portal::app::Draw;
use portal::components::load_error::page_missing;
use portal::pages::confirm::ConfirmPage;
use portal::pages::invite::InvitePage;
use portal::pages::not_found::NotFoundPage;
use portal::pages::sign_in::SignInPage;
use portal::pages::sign_up::SignUpPage;
use portal::routes::Page;

/// `lazy_page!(chunk, Page)`: the chunk `chunk` holds `<Page />`'s code and
/// hands back how to draw it.
macro_rules! lazy_page {
    ($chunk:ident, $page:ident) => {
        #[::leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $chunk() -> Result<Draw, SplitLoaderError> {
            Ok(|| view! { <$page /> }.into_any())
        }
    };
}

lazy_page!(sign_up_page, SignUpPage);
lazy_page!(confirm_page, ConfirmPage);
lazy_page!(invite_page, InvitePage);

fn main() {
    // The page is chosen once from the address: no router (the links between
    // these pages are page loads). The page table's addresses are compared as
    // they are: `Page::at` would cost every visitor its pattern matching.
    let path = window().location().pathname().unwrap_or_default();
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = match path.as_str() {
            p if p == Page::SignIn.path() => Ok((|| view! { <SignInPage /> }.into_any()) as Draw),
            p if p == Page::SignUp.path() => sign_up_page().await,
            p if p == Page::SignUpConfirm.path() => confirm_page().await,
            p if p == Page::Invite.path() => invite_page().await,
            _ => Ok((|| view! { <NotFoundPage /> }.into_any()) as Draw),
        };
        portal::start_sign_in(loaded.unwrap_or(|| page_missing(current_address())));
    });
}

/// The address the visitor opened.
fn current_address() -> String {
    let location = window().location();
    location.pathname().unwrap_or_default() + &location.search().unwrap_or_default()
}
