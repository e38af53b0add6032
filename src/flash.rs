//! A one-shot notice carried across a full page load between the two apps
//! (e.g. "You're signed out." shown by the sign-in app). Only such sentences
//! go in sessionStorage, never a secret.

const KEY: &str = "portal.flash";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// Leaves `message` for the next page.
pub fn set(message: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, message);
    }
}

/// The notice left by the previous page, once.
pub fn take() -> Option<String> {
    let s = storage()?;
    let message = s.get_item(KEY).ok().flatten();
    let _ = s.remove_item(KEY);
    message
}

/// Full page load of `path` in the other app, replacing this history entry.
pub fn replace_page(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().replace(path);
    }
}

/// Full page load of `path` in the other app.
pub fn open_page(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(path);
    }
}
