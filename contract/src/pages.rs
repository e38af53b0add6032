//! Every page of the portal, in one table: its address, which of the two
//! apps shows it, the title its frame paints before the app has loaded, and
//! the wasm chunk its code is in. The server picks the app and preloads the
//! chunk by it (`spa.rs`); the apps link and route by it (`src/routes.rs`,
//! `src/app.rs`); `src/main.rs` and `src/bin/sign_in.rs` declare a lazily
//! loaded page per chunk, and a test here checks them against this table.

/// The two apps the portal is built as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// The small app a signed-out visitor downloads (`dist/auth/`).
    SignIn,
    /// Every page after sign-in (`dist/app/`).
    Portal,
}

/// A page of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    SignIn,
    SignUp,
    SignUpConfirm,
    Invite,
    Overview,
    Projects,
    Project,
    Webhook,
    Team,
    Settings,
}

/// One row of the page table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    pub page: Page,
    /// The address, `:name` for a segment that varies.
    pub pattern: &'static str,
    pub app: App,
    /// The `<h1>` the portal's frame paints before the app has loaded: for
    /// pages whose title doesn't depend on what they show.
    pub frame_title: Option<&'static str>,
    /// The wasm chunk the page's code is split into (`lazy_page!`, see
    /// `src/main.rs` and `src/bin/sign_in.rs`); `None`: in the app's own
    /// module.
    pub chunk: Option<&'static str>,
}

/// The table.
pub const PAGES: [PageInfo; 10] = [
    PageInfo {
        page: Page::SignIn,
        pattern: Page::SignIn.path(),
        app: App::SignIn,
        frame_title: None,
        chunk: None,
    },
    PageInfo {
        page: Page::SignUp,
        pattern: Page::SignUp.path(),
        app: App::SignIn,
        frame_title: None,
        chunk: Some("sign_up"),
    },
    PageInfo {
        page: Page::SignUpConfirm,
        pattern: Page::SignUpConfirm.path(),
        app: App::SignIn,
        frame_title: None,
        chunk: Some("confirm"),
    },
    PageInfo {
        page: Page::Invite,
        pattern: Page::Invite.path(),
        app: App::SignIn,
        frame_title: None,
        chunk: Some("invite"),
    },
    PageInfo {
        page: Page::Overview,
        pattern: Page::Overview.path(),
        app: App::Portal,
        frame_title: Some("Overview"),
        chunk: None,
    },
    PageInfo {
        page: Page::Projects,
        pattern: Page::Projects.path(),
        app: App::Portal,
        frame_title: Some("Projects"),
        chunk: None,
    },
    PageInfo {
        page: Page::Project,
        pattern: Page::Project.path(),
        app: App::Portal,
        frame_title: None,
        chunk: Some("project"),
    },
    PageInfo {
        page: Page::Webhook,
        pattern: Page::Webhook.path(),
        app: App::Portal,
        frame_title: None,
        chunk: Some("webhook"),
    },
    PageInfo {
        page: Page::Team,
        pattern: Page::Team.path(),
        app: App::Portal,
        frame_title: Some("Team"),
        chunk: Some("team"),
    },
    PageInfo {
        page: Page::Settings,
        pattern: Page::Settings.path(),
        app: App::Portal,
        frame_title: Some("Settings"),
        chunk: Some("settings"),
    },
];

impl Page {
    pub fn info(self) -> &'static PageInfo {
        PAGES
            .iter()
            .find(|p| p.page == self)
            .expect("every page is in the table")
    }

    /// The page's address (`:name` for a segment that varies): the one
    /// place each is written.
    pub const fn path(self) -> &'static str {
        match self {
            Page::SignIn => "/signin",
            Page::SignUp => "/signup",
            Page::SignUpConfirm => "/signup/confirm",
            Page::Invite => "/invite",
            Page::Overview => "/",
            Page::Projects => "/projects",
            Page::Project => "/projects/:id",
            Page::Webhook => "/projects/:id/webhooks/:wid",
            Page::Team => "/team",
            Page::Settings => "/settings",
        }
    }

    /// The page at `path` (a query or fragment aside), if it is one.
    pub fn at(path: &str) -> Option<Page> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments = |p: &'static str| p.trim_matches('/').split('/');
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        PAGES
            .iter()
            .find(|info| {
                segments(info.pattern).count() == wanted.len()
                    && segments(info.pattern)
                        .zip(&wanted)
                        .all(|(p, w)| p == *w || (p.starts_with(':') && !w.is_empty()))
            })
            .map(|info| info.page)
    }
}

/// The app that shows `path`: the portal's for any address that isn't the
/// sign-in app's (its own 404 says what isn't a page).
pub fn app_at(path: &str) -> App {
    Page::at(path).map_or(App::Portal, |p| p.info().app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_finds_its_page() {
        for (path, page) in [
            ("/", Some(Page::Overview)),
            ("/signin", Some(Page::SignIn)),
            ("/signin?next=/team", Some(Page::SignIn)),
            ("/signup/confirm", Some(Page::SignUpConfirm)),
            ("/projects", Some(Page::Projects)),
            ("/projects/", Some(Page::Projects)),
            ("/projects/prj_1", Some(Page::Project)),
            ("/projects/prj_1/webhooks/wh_1", Some(Page::Webhook)),
            ("/team", Some(Page::Team)),
            ("/settings", Some(Page::Settings)),
            ("/projects/prj_1/credentials", None),
            ("/projects//webhooks/wh_1", None),
            ("/nowhere", None),
        ] {
            assert_eq!(Page::at(path), page, "{path}");
        }
    }

    #[test]
    fn every_page_is_in_the_table_once() {
        for info in PAGES {
            assert_eq!(info.page.info(), &info);
            assert_eq!(
                PAGES.iter().filter(|p| p.pattern == info.pattern).count(),
                1
            );
        }
        assert_eq!(app_at("/invite"), App::SignIn);
        assert_eq!(app_at("/anything"), App::Portal);
    }

    /// `src/main.rs` declares the portal's routes and lazily loaded pages
    /// with macros that take literals, so it can't read this table: it is
    /// checked against it here instead.
    #[test]
    fn the_portal_app_routes_and_splits_as_the_table_says() {
        let main = include_str!("../../src/main.rs");
        let mut routes: Vec<String> = main
            .split("path=path!(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|p| format!("/{p}"))
            .collect();
        let chunks = lazy_pages(main);
        let mut table_routes: Vec<String> = PAGES
            .iter()
            .filter(|p| p.app == App::Portal)
            .map(|p| p.pattern.to_owned())
            .collect();
        let table_chunks = chunks_of(App::Portal);
        for list in [&mut routes, &mut table_routes] {
            list.sort();
        }
        // The layout's own route, "", is the overview's "/".
        routes.dedup();
        assert_eq!(routes, table_routes, "routes in src/main.rs");
        assert_eq!(chunks, table_chunks, "lazily loaded pages in src/main.rs");
    }

    #[test]
    fn the_sign_in_app_splits_as_the_table_says() {
        let main = include_str!("../../src/bin/sign_in.rs");
        assert_eq!(lazy_pages(main), chunks_of(App::SignIn));
    }

    /// The chunks a binary's `lazy_page!(…)` lines declare (the argument
    /// that ends in `_page`, without it), sorted.
    fn lazy_pages(main: &str) -> Vec<&str> {
        let mut chunks: Vec<&str> = main
            .lines()
            .filter_map(|l| l.trim().strip_prefix("lazy_page!("))
            .filter_map(|args| {
                args.split([',', ')'])
                    .find_map(|arg| arg.trim().strip_suffix("_page"))
            })
            .collect();
        chunks.sort_unstable();
        chunks
    }

    /// The chunks of `app`'s pages in the table, sorted.
    fn chunks_of(app: App) -> Vec<&'static str> {
        let mut chunks: Vec<&str> = PAGES
            .iter()
            .filter(|p| p.app == app)
            .filter_map(|p| p.chunk)
            .collect();
        chunks.sort_unstable();
        chunks
    }
}
