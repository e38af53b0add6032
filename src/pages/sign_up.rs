//! `/signup`: a new organisation and its first superadmin; then "check your
//! inbox" with the option to send the link again.

use leptos::prelude::*;
use portal_contract::accounts::SignUpIn;

use crate::api;
use crate::components::field::{NEW_PIN_RULE, NewPasswordField, PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::components::resend_link::ResendLinkButton;
use crate::routes::Page;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let organisation_name = RwSignal::new(String::new());
    let full_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    // The address the link went to, once sent.
    let sent_to = RwSignal::new(None::<String>);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = SignUpIn {
            organisation_name: organisation_name.get_untracked(),
            full_name: full_name.get_untracked(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            pin: pin.get_untracked(),
        };
        let validation = input.validate();
        let address = input.email.clone();
        errors.submit(
            pending,
            validation,
            async move { api::sign_up(&input).await },
            move |_| {
                // Don't keep secrets in memory longer than needed.
                password.set(String::new());
                pin.set(String::new());
                sent_to.set(Some(address));
            },
        );
    };

    view! {
        <main id="main" class="auth">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                {move || match sent_to.get() {
                    Some(address) => {
                        let address_for_resend = address.clone();
                        view! {
                            <h1>"Check your inbox"</h1>
                            <p>
                                "We sent a link to "
                                <strong class="truncate-inline">{address}</strong>
                                ". Open it to confirm your address and sign in. It works once and expires in 24 hours."
                            </p>
                            <ResendLinkButton email=address_for_resend />
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <h1>"Create your partner account"</h1>
                            <form on:submit=on_submit novalidate>
                                <FormError message=errors.form() />
                                <TextField
                                    label="Organisation name"
                                    required=true
                                    name="organisation_name"
                                    autocomplete="organization"
                                    value=organisation_name
                                    error=errors.field("organisation_name")
                                    autofocus=true
                                />
                                <TextField
                                    label="Your full name"
                                    required=true
                                    name="full_name"
                                    autocomplete="name"
                                    value=full_name
                                    error=errors.field("full_name")
                                />
                                <TextField
                                    label="Work email"
                                    required=true
                                    name="email"
                                    kind="email"
                                    autocomplete="email"
                                    value=email
                                    error=errors.field("email")
                                />
                                <NewPasswordField
                                    label="Password"
                                    name="password"
                                    value=password
                                    error=errors.field("password")
                                />
                                <PinField
                                    label="Security PIN"
                                    name="pin"
                                    value=pin
                                    error=errors.field("pin")
                                    hint=format!(
                                        "{NEW_PIN_RULE} We ask for it before sensitive actions, like creating API credentials.",
                                    )
                                />
                                <button
                                    type="submit"
                                    class="button button-primary"
                                    aria-disabled=move || pending.get().to_string()
                                >
                                    {move || {
                                        if pending.get() {
                                            "Creating your account…"
                                        } else {
                                            "Create account"
                                        }
                                    }}
                                </button>
                            </form>
                        }
                            .into_any()
                    }
                }}
                <p class="auth-switch">
                    "Already have an account? " <a href=Page::SignIn.path()>"Sign in"</a>
                </p>
            </div>
        </main>
    }
}
