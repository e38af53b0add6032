//! What a page shows of something it loads: the error state with a way to
//! retry, and a list's states before its rows.

use leptos::prelude::*;

use crate::api;
use crate::components::progress::track_progress;
use crate::components::table::SkeletonTable;
use crate::flash;

#[component]
pub fn LoadError(
    /// What went wrong, as a sentence.
    #[prop(into)]
    message: String,
    /// Loads again.
    #[prop(into)]
    on_retry: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="card" role="alert">
            <p>{message}</p>
            <button type="button" class="button" on:click=move |_| on_retry.run(())>
                "Try again"
            </button>
        </div>
    }
}

/// A page whose code can't be loaded. Most likely a newer version of the
/// portal was deployed since this tab loaded the app, and the old chunks are
/// gone: the page loads afresh from the new version. If that was tried a
/// moment ago already (the chunk is missing there too, or the network is
/// down), the page says so instead of loading again and again.
pub fn page_missing(address: String) -> AnyView {
    const KEY: &str = "portal.reloadedForAMissingPage";
    let storage = window().session_storage().ok().flatten();
    // Whole milliseconds: parsing an f64 would bring the float parser along.
    let now = js_sys::Date::now() as u64;
    let last = storage
        .as_ref()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|at| at.parse::<u64>().ok());
    if last.is_none_or(|at| now.saturating_sub(at) > 10_000) {
        if let Some(storage) = &storage {
            let _ = storage.set_item(KEY, &now.to_string());
        }
        flash::open_page(&address);
        // The page is going away.
        return ().into_any();
    }
    view! {
        <h1>"This page couldn't be loaded"</h1>
        <LoadError
            message="Check your connection, then try again."
            on_retry=move || flash::open_page(&address)
        />
    }
    .into_any()
}

/// A list from the API: skeleton rows in the table's shape the first time
/// (later loads keep the old rows until the new ones are there, with the
/// page's progress bar), the error with a retry, a sentence saying what
/// belongs here when it is empty, else its rows.
#[component]
pub fn Listing<T, R, V>(
    list: LocalResource<Result<T, api::Error>>,
    /// Said to screen readers while it loads the first time, e.g.
    /// "Loading credentials…".
    loading: &'static str,
    /// How many columns the skeleton shows while it loads.
    #[prop(default = 4)]
    columns: usize,
    /// Shown when it is empty: what belongs here, and how it gets here.
    empty: &'static str,
    /// Whether a loaded list is empty.
    is_empty: fn(&T) -> bool,
    /// The rows of a list that is not empty.
    rows: R,
) -> impl IntoView
where
    T: Clone + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition
            fallback=move || view! { <SkeletonTable label=loading columns=columns /> }
            set_pending=track_progress()
        >
            {move || {
                let rows = rows.clone();
                Suspend::new(async move {
                    match list.await {
                        Err(e) => {
                            view! {
                                <LoadError message=e.message() on_retry=move || list.refetch() />
                            }
                                .into_any()
                        }
                        Ok(loaded) if is_empty(&loaded) => {
                            view! {
                                <div class="empty">
                                    <p>{empty}</p>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(loaded) => rows(loaded).into_any(),
                    }
                })
            }}
        </Transition>
    }
}
