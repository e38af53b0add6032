//! 404: a path the portal doesn't have.

use leptos::prelude::*;

use crate::routes::Page;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main id="main" class="centered">
            <div class="card">
                <h1>"Page not found"</h1>
                <p>
                    "There's nothing at this address. It may have moved, or the link may be wrong."
                </p>
                <a href=Page::Overview.path() class="button">
                    "Go to the overview"
                </a>
            </div>
        </main>
    }
}
