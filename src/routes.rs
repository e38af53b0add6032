//! Links to the portal's pages (the page table is `portal_contract::pages`),
//! and the rules for the `next` parameter that brings a user back after
//! signing in.

pub use portal_contract::pages::Page;

/// A project's page.
pub fn project_href(id: &str) -> String {
    format!(
        "{}/{}",
        Page::Projects.path(),
        portal_contract::team::percent_encode(id)
    )
}

/// A webhook endpoint's page.
pub fn webhook_href(project_id: &str, webhook_id: &str) -> String {
    format!(
        "{}/webhooks/{}",
        project_href(project_id),
        portal_contract::team::percent_encode(webhook_id)
    )
}

/// Where to go after sign-in: only paths of this site, never another origin
/// (`//evil.example`, `https://…`, `/\evil`), so the parameter can't be used
/// to send someone elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines from URLs (`/\t/evil` becomes
        // `//evil`), so any whitespace or control character is refused too.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            p.to_owned()
        }
        _ => Page::Overview.path().to_owned(),
    }
}

/// The sign-in page, coming back to `path` afterwards.
pub fn sign_in_href(path: &str) -> String {
    if path == Page::Overview.path() || path.is_empty() || path.starts_with(Page::SignIn.path()) {
        Page::SignIn.path().to_owned()
    } else {
        format!("{}?next={}", Page::SignIn.path(), encode_component(path))
    }
}

/// Percent-encodes all but unreserved characters and `/`.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A parameter of the page's own address (`?token=…`). The sign-in app has
/// no router: each of its four pages is a page load of its own, and
/// leptos_router would cost every signed-out visitor its bytes.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/settings")), "/settings");
        assert_eq!(safe_next(Some("/projects?tab=x")), "/projects?tab=x");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "settings",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn sign_in_links_carry_the_way_back() {
        assert_eq!(sign_in_href("/"), "/signin");
        assert_eq!(sign_in_href("/settings"), "/signin?next=/settings");
        assert_eq!(sign_in_href("/a?b=c&d"), "/signin?next=/a%3Fb%3Dc%26d");
        assert_eq!(sign_in_href("/signin?next=/x"), "/signin");
    }
}
