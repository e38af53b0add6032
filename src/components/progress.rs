//! The thin bar at the top of the page while its data reloads. Every
//! `<Transition>` that reloads a page's data reports to one counter; the bar
//! shows while any is pending (after a quarter of a second, in the CSS, so a
//! quick reload doesn't flash it).

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Pending(RwSignal<u32>);

pub fn provide_progress() {
    provide_context(Pending(RwSignal::new(0)));
}

/// A `set_pending` for a `<Transition>`: counts it while it is pending, and
/// stops counting it when it goes away mid-load.
pub fn track_progress() -> SignalSetter<bool> {
    let Some(Pending(count)) = use_context::<Pending>() else {
        return SignalSetter::map(|_| {});
    };
    let mine = StoredValue::new(false);
    on_cleanup(move || {
        if mine.try_get_value() == Some(true) {
            count.try_update(|n| *n = n.saturating_sub(1));
        }
    });
    SignalSetter::map(move |pending: bool| {
        if mine.try_get_value().is_some_and(|was| was != pending) {
            mine.set_value(pending);
            count.update(|n| *n = if pending { *n + 1 } else { n.saturating_sub(1) });
        }
    })
}

/// The bar; rendered once, by the signed-in frame.
#[component]
pub fn ProgressBar() -> impl IntoView {
    let count = use_context::<Pending>().map(|Pending(c)| c);
    move || {
        count
            .is_some_and(|c| c.get() > 0)
            .then(|| view! { <div class="progress" aria-hidden="true"></div> })
    }
}
