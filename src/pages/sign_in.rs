//! `/signin`: email and password; unconfirmed accounts can have their link
//! sent again. Returns to `next` afterwards.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_contract::ErrorCode;
use portal_contract::accounts::SessionIn;

use crate::api;
use crate::components::field::TextField;
use crate::components::form::{FormError, FormErrors};
use crate::components::resend_link::ResendLinkButton;
use crate::flash;
use crate::routes::{Page, query_param, safe_next};

#[component]
pub fn SignInPage() -> impl IntoView {
    let next = move || safe_next(query_param("next").as_deref());

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let unconfirmed = RwSignal::new(false);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let input = SessionIn {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        unconfirmed.set(false);
        if !errors.check(input.validate()) {
            return;
        }
        pending.set(true);
        spawn_local(async move {
            let result = api::sign_in(&input).await;
            match result {
                // The portal app is another page; the button stays busy until it loads.
                Ok(_) => flash::replace_page(&next()),
                Err(e) => {
                    pending.set(false);
                    unconfirmed.set(e.code() == Some(ErrorCode::EmailUnconfirmed));
                    errors.show(&e);
                }
            }
        });
    };

    view! {
        <main id="main" class="auth">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                <h1>"Sign in"</h1>
                <form on:submit=on_submit novalidate>
                    <FormError message=errors.form() />
                    <Show when=move || unconfirmed.get()>
                        <ResendLinkButton email=email />
                    </Show>
                    <TextField
                        label="Email"
                        required=true
                        name="email"
                        kind="email"
                        autocomplete="username"
                        value=email
                        error=errors.field("email")
                        autofocus=true
                    />
                    <TextField
                        label="Password"
                        required=true
                        name="password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                        error=errors.field("password")
                    />
                    <button
                        type="submit"
                        class="button button-primary"
                        aria-disabled=move || pending.get().to_string()
                    >
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="auth-switch">
                    "New to the portal? " <a href=Page::SignUp.path()>"Create an account"</a>
                </p>
            </div>
        </main>
    }
}
