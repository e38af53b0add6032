//! `/invite?token=…`: shows what the invitation is for; joining is a POST from
//! this page, so opening the link (as mail scanners do) uses nothing up.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_contract::team::{InvitationAcceptIn, InvitationLookupOut};

use crate::api;
use crate::components::field::{NEW_PIN_RULE, NewPasswordField, PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::flash;
use crate::routes::{Page, query_param};

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = query_param("token").unwrap_or_default();
    let lookup = LocalResource::new({
        let token = token.clone();
        move || {
            let token = token.clone();
            async move { api::lookup_invitation(&token).await }
        }
    });
    view! {
        <main id="main" class="auth">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                {move || match lookup.get() {
                    None => {
                        view! {
                            <h1>"Opening your invitation…"</h1>
                            <p class="loading">"One moment."</p>
                        }
                            .into_any()
                    }
                    Some(Err(e)) => {
                        view! {
                            <h1>"This invitation doesn't work"</h1>
                            <p role="alert">{e.message()}</p>
                            <p>
                                "Invitations work once and expire. Ask an admin of the organisation to invite you again."
                            </p>
                            <a href=Page::SignIn.path() class="button button-secondary">
                                "I already have an account"
                            </a>
                        }
                            .into_any()
                    }
                    Some(Ok(info)) => {
                        view! { <AcceptForm info=info token=token.clone() /> }.into_any()
                    }
                }}
            </div>
        </main>
    }
}

#[component]
fn AcceptForm(info: InvitationLookupOut, token: String) -> impl IntoView {
    let full_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let org = info.organisation_name.clone();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let input = InvitationAcceptIn {
            token: token.clone(),
            full_name: full_name.get_untracked(),
            password: password.get_untracked(),
            pin: pin.get_untracked(),
        };
        if !errors.check(input.validate()) {
            return;
        }
        pending.set(true);
        let org = org.clone();
        spawn_local(async move {
            let result = api::accept_invitation(&input).await;
            match result {
                Ok(_) => {
                    flash::set(&format!("Welcome to {org}!"));
                    // Replace: the token leaves the address bar and the history.
                    flash::replace_page(Page::Overview.path());
                }
                Err(e) => {
                    pending.set(false);
                    errors.show(&e);
                }
            }
        });
    };

    view! {
        <h1>{format!("Join {}", info.organisation_name)}</h1>
        <p>
            {info.invited_by.clone()} " invited "
            <strong class="truncate-inline">{info.email.clone()}</strong> " as "
            {info.role.label().to_lowercase()} ". Set up your account to join."
        </p>
        <form on:submit=on_submit novalidate>
            <FormError message=errors.form() />
            <TextField
                label="Your full name"
                required=true
                name="full_name"
                autocomplete="name"
                value=full_name
                error=errors.field("full_name")
                autofocus=true
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
                hint=format!("{NEW_PIN_RULE} We ask for it before sensitive actions.")
            />
            <button
                type="submit"
                class="button button-primary"
                aria-disabled=move || pending.get().to_string()
            >
                {move || if pending.get() { "Joining…" } else { "Join the organisation" }}
            </button>
        </form>
    }
}
