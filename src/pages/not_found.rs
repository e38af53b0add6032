//! 404: a path the portal doesn't have.

use leptos::prelude::*;
use leptos_router::components::A;

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
                <A href=Page::Overview.path() attr:class="button">
                    "Go to the overview"
                </A>
            </div>
        </main>
    }
}
