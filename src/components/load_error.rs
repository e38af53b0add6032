//! The error state of something that failed to load, with a way to retry.

use leptos::prelude::*;

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
