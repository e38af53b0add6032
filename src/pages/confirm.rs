//! `/signup/confirm?token=…`: confirms the address, signs in, and takes the
//! token out of the address bar.

use leptos::prelude::*;

use crate::api;
use crate::flash;
use crate::routes::{Page, query_param};

#[component]
pub fn ConfirmPage() -> impl IntoView {
    let token = query_param("token").unwrap_or_default();

    let confirm = LocalResource::new(move || {
        let token = token.clone();
        async move { api::confirm_sign_up(&token).await }
    });
    Effect::new(move || {
        if let Some(Ok(_)) = confirm.get() {
            flash::set("Your email address is confirmed. Welcome!");
            // Replace: the token leaves the address bar and the history.
            flash::replace_page(Page::Overview.path());
        }
    });

    view! {
        <main id="main" class="auth">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                {move || match confirm.get() {
                    None | Some(Ok(_)) => {
                        view! {
                            <h1>"Confirming your email address…"</h1>
                            <p class="loading" aria-busy="true">
                                "One moment."
                            </p>
                        }
                            .into_any()
                    }
                    Some(Err(e)) => {
                        view! {
                            <h1>"This link doesn't work"</h1>
                            <p role="alert">{e.message()}</p>
                            <p>
                                "If your address isn't confirmed yet, sign in and choose "
                                <em>"Send the link again"</em> "."
                            </p>
                            <a href=Page::SignIn.path() class="button button-primary">
                                "Go to sign in"
                            </a>
                        }
                            .into_any()
                    }
                }}
            </div>
        </main>
    }
}
