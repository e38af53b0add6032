//! "Send the link again": mails a new confirmation link to an address and
//! says so in a toast.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::toast::use_toaster;

#[component]
pub fn ResendLinkButton(
    /// The address to send the new link to.
    #[prop(into)]
    email: Signal<String>,
) -> impl IntoView {
    let toaster = use_toaster();
    let sending = RwSignal::new(false);
    let resend = move |_| {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        let address = email.get_untracked().trim().to_owned();
        spawn_local(async move {
            let result = api::resend_confirmation(&address).await;
            sending.set(false);
            match result {
                Ok(sent) => toaster.success(sent.message),
                Err(e) => toaster.error(e.message()),
            }
        });
    };
    view! {
        <button
            type="button"
            class="button button-secondary"
            on:click=resend
            aria-disabled=move || sending.get().to_string()
        >
            {move || if sending.get() { "Sending…" } else { "Send the link again" }}
        </button>
    }
}
