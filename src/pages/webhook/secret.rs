//! The endpoint's signing secret: shown again with the PIN, or rotated with
//! an overlap during which both secrets sign.

use leptos::prelude::*;
use portal_contract::credentials::RollOverlap;
use portal_contract::webhooks::{EndpointOut, SecretRevealIn, SecretRotateIn};

use super::form::SigningSecret;
use crate::api;
use crate::components::field::PinField;
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::select::SelectField;
use crate::components::toast::use_toaster;
use crate::format;

#[derive(Clone, Copy, PartialEq)]
enum Action {
    Reveal,
    Rotate,
}

#[component]
pub fn SecretCard(webhook: RwSignal<EndpointOut>) -> impl IntoView {
    let action = RwSignal::new(None::<Action>);
    view! {
        <section class="card" aria-labelledby="secret-heading">
            <h2 id="secret-heading">"Signing secret"</h2>
            <p class="muted">
                "Your receiver checks our signatures with it. It is kept encrypted; showing it needs your PIN."
            </p>
            {move || {
                webhook
                    .with(|w| w.previous_secret_until)
                    .map(|until| {
                        view! {
                            <p class="warning" role="note">
                                "The previous secret also signs until "
                                {format::date_time(until)}
                                ". Update your receiver before then."
                            </p>
                        }
                    })
            }}
            <div class="toolbar">
                <button
                    type="button"
                    class="button"
                    on:click=move |_| action.set(Some(Action::Reveal))
                >
                    "Show secret"
                </button>
                <button
                    type="button"
                    class="button"
                    on:click=move |_| action.set(Some(Action::Rotate))
                >
                    "Rotate secret"
                </button>
            </div>
        </section>
        {move || {
            action
                .get()
                .map(|a| {
                    view! {
                        <SecretModal webhook=webhook action=a on_close=move || action.set(None) />
                    }
                })
        }}
    }
}

#[component]
fn SecretModal(
    webhook: RwSignal<EndpointOut>,
    action: Action,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let pin = RwSignal::new(String::new());
    let overlap = RwSignal::new(RollOverlap::OneDay.as_str().to_owned());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    // Held only while the modal is open.
    let shown = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = webhook.with_untracked(|w| w.id.to_string());
        let pin_value = pin.get_untracked();
        match action {
            Action::Reveal => {
                let input = SecretRevealIn { pin: pin_value };
                errors.submit(
                    pending,
                    input.validate(),
                    async move {
                        let r = api::reveal_webhook_secret(&id, &input).await;
                        pin.set(String::new());
                        r
                    },
                    move |out| shown.set(Some(out.secret)),
                );
            }
            Action::Rotate => {
                let input = SecretRotateIn {
                    overlap: overlap
                        .get_untracked()
                        .parse()
                        .unwrap_or(RollOverlap::OneDay),
                    pin: pin_value,
                };
                errors.submit(
                    pending,
                    input.validate(),
                    async move {
                        let r = api::rotate_webhook_secret(&id, &input).await;
                        pin.set(String::new());
                        r
                    },
                    move |out| {
                        toaster.success("The signing secret is rotated.");
                        webhook.set(out.webhook);
                        shown.set(Some(out.secret));
                    },
                );
            }
        }
    };
    let close = move || {
        shown.set(None);
        on_close.run(());
    };
    let (title, submit, busy) = match action {
        Action::Reveal => ("Show the signing secret", "Show secret", "Checking…"),
        Action::Rotate => ("Rotate the signing secret", "Rotate secret", "Rotating…"),
    };
    let options = RollOverlap::ALL
        .map(|o| (o.as_str().to_owned(), o.label().to_owned()))
        .to_vec();
    view! {
        <Modal title=title on_close=move || close()>
            {move || {
                shown
                    .get()
                    .map(|secret| {
                        view! {
                            <SigningSecret secret=secret />
                            <div class="modal-actions">
                                <button
                                    type="button"
                                    class="button button-primary"
                                    on:click=move |_| close()
                                >
                                    "Done"
                                </button>
                            </div>
                        }
                    })
            }}
            <Show when=move || shown.with(Option::is_none)>
                <form on:submit=on_submit novalidate>
                    {(action == Action::Rotate)
                        .then(|| {
                            view! {
                                <p>
                                    "A new secret signs from now on. Keep the old one signing too until your receiver has the new one."
                                </p>
                                <SelectField
                                    label="The old secret keeps signing for"
                                    id="rotate-overlap"
                                    value=overlap
                                    options=options.clone()
                                />
                            }
                        })}
                    <FormError message=errors.form() />
                    <PinField
                        label="Your security PIN"
                        name="pin"
                        value=pin
                        error=errors.field("pin")
                    />
                    <ModalActions on_cancel=on_close pending=pending submit=submit busy=busy />
                </form>
            </Show>
        </Modal>
    }
}
