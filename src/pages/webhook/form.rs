//! The endpoint form, to add an endpoint (then its signing secret is shown)
//! or edit one: URL, description, and which event types it receives.

use leptos::prelude::*;
use portal_contract::webhooks::{EndpointIn, EndpointOut, EndpointPatch, PortalEvent};

use crate::api;
use crate::components::copy::CopyableValue;
use crate::components::field::TextField;
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions, focus_when_shown};
use crate::components::table::SkeletonLines;
use crate::components::toast::use_toaster;

/// What to do: add to a project, or edit an endpoint.
#[derive(Clone)]
pub enum Target {
    Add { project_id: String },
    Edit(EndpointOut),
}

#[component]
pub fn EndpointModal(
    target: Target,
    #[prop(into)] on_close: Callback<()>,
    /// The saved endpoint (after the secret was seen, for a new one).
    #[prop(into)]
    on_saved: Callback<EndpointOut>,
) -> impl IntoView {
    let toaster = use_toaster();
    let existing = match &target {
        Target::Edit(w) => Some(w.clone()),
        Target::Add { .. } => None,
    };
    let url = RwSignal::new(existing.as_ref().map(|w| w.url.clone()).unwrap_or_default());
    let description = RwSignal::new(
        existing
            .as_ref()
            .map(|w| w.description.clone())
            .unwrap_or_default(),
    );
    let chosen = existing
        .as_ref()
        .map(|w| w.event_types.clone())
        .unwrap_or_default();
    let all_events = RwSignal::new(chosen.is_empty());
    // The portal's types are checkboxes; the partner's own go in a text field.
    let (portal, own): (Vec<String>, Vec<String>) = chosen
        .into_iter()
        .partition(|t| PortalEvent::parse(t).is_some());
    let selected = RwSignal::new(portal);
    let custom = RwSignal::new(own.join(", "));
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    // After adding: the new endpoint and its secret, shown once here.
    let created = RwSignal::new(None::<(EndpointOut, String)>);
    let types = LocalResource::new(api::event_types);

    let event_types = move || {
        if all_events.get_untracked() {
            return Vec::new();
        }
        let mut types = selected.get_untracked();
        types.extend(
            custom
                .get_untracked()
                .split([',', ' '])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
        types
    };
    let on_submit = {
        let target = target.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            match &target {
                Target::Add { project_id } => {
                    let input = EndpointIn {
                        url: url.get_untracked(),
                        description: description.get_untracked(),
                        event_types: event_types(),
                    };
                    let (validation, project_id) = (input.validate(), project_id.clone());
                    errors.submit(
                        pending,
                        validation,
                        async move { api::create_webhook(&project_id, &input).await },
                        move |made| {
                            toaster.success("The endpoint is added.");
                            created.set(Some((made.webhook, made.secret)));
                        },
                    );
                }
                Target::Edit(w) => {
                    let patch = EndpointPatch {
                        url: Some(url.get_untracked()),
                        description: Some(description.get_untracked()),
                        event_types: Some(event_types()),
                        enabled: None,
                    };
                    let (validation, id) = (patch.validate(), w.id.to_string());
                    errors.submit(
                        pending,
                        validation,
                        async move { api::update_webhook(&id, &patch).await },
                        move |saved| {
                            toaster.success("The endpoint is saved.");
                            on_saved.run(saved);
                        },
                    );
                }
            }
        }
    };
    let (title, submit, busy) = match &target {
        Target::Add { .. } => ("Add an endpoint", "Add endpoint", "Adding…"),
        Target::Edit(_) => ("Edit the endpoint", "Save endpoint", "Saving…"),
    };
    let finish = move || {
        if let Some((w, _)) = created.get_untracked() {
            created.set(None);
            on_saved.run(w);
        }
    };

    view! {
        <Modal
            title=title
            on_close=move || {
                if created.with_untracked(Option::is_some) { finish() } else { on_close.run(()) }
            }
        >
            {move || {
                created
                    .get()
                    .map(|(_, secret)| {
                        view! {
                            <p>
                                "Receivers check each request's signature with this signing secret. Copy it into your receiver's configuration."
                            </p>
                            <SigningSecret secret=secret />
                            <p class="muted">
                                "You can show it again later on the endpoint's page, with your PIN."
                            </p>
                            <div class="modal-actions">
                                <button
                                    type="button"
                                    class="button button-primary"
                                    on:click=move |_| finish()
                                >
                                    "Done"
                                </button>
                            </div>
                        }
                    })
            }}
            <Show when=move || created.with(Option::is_none)>
                <form on:submit=on_submit.clone() novalidate>
                    <FormError message=errors.form() />
                    <TextField
                        label="Endpoint URL"
                        required=true
                        name="url"
                        id="webhook-url"
                        kind="url"
                        autocomplete="url"
                        hint="Where we POST events. Production projects need https://."
                        value=url
                        error=errors.field("url")
                    />
                    <TextField
                        label="Description (optional)"
                        name="description"
                        id="webhook-description"
                        autocomplete="off"
                        value=description
                        error=errors.field("description")
                    />
                    <fieldset class="field">
                        <legend>"Events"</legend>
                        <div class="choices">
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="events"
                                    prop:checked=move || all_events.get()
                                    on:change=move |_| all_events.set(true)
                                />
                                <span class="choice-text">"All events"</span>
                            </label>
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="events"
                                    prop:checked=move || !all_events.get()
                                    on:change=move |_| all_events.set(false)
                                />
                                <span class="choice-text">"Only the ones I choose"</span>
                            </label>
                        </div>
                        <Show when=move || !all_events.get()>
                            <div class="subchoices">
                                <Transition fallback=|| {
                                    view! {
                                        <SkeletonLines label="Loading event types…" lines=3 />
                                    }
                                }>
                                    <div class="choices">
                                        {move || Suspend::new(async move {
                                            types
                                                .await
                                                .map(|list| {
                                                    list.items
                                                        .into_iter()
                                                        .map(|t| {
                                                            let name = t.name.clone();
                                                            let checked = {
                                                                let name = name.clone();
                                                                move || selected.with(|s| s.contains(&name))
                                                            };
                                                            let toggle = {
                                                                let name = name.clone();
                                                                move |_| {
                                                                    selected
                                                                        .update(|s| {
                                                                            if let Some(i) = s.iter().position(|x| *x == name) {
                                                                                s.remove(i);
                                                                            } else {
                                                                                s.push(name.clone());
                                                                            }
                                                                        })
                                                                }
                                                            };
                                                            view! {
                                                                <label class="choice">
                                                                    <input
                                                                        type="checkbox"
                                                                        value=name.clone()
                                                                        prop:checked=checked
                                                                        on:change=toggle
                                                                    />
                                                                    <code class="choice-text">{name.clone()}</code>
                                                                    <span class="choice-hint">{t.description}</span>
                                                                </label>
                                                            }
                                                        })
                                                        .collect_view()
                                                })
                                                .ok()
                                        })}
                                    </div>
                                </Transition>
                                <TextField
                                    label="Your own event types (optional)"
                                    name="event_types"
                                    id="webhook-custom-types"
                                    autocomplete="off"
                                    hint="Types you publish through POST /v1/events, separated by commas, like invoice.paid."
                                    value=custom
                                    error=errors.field("event_types")
                                />
                            </div>
                        </Show>
                    </fieldset>
                    <ModalActions on_cancel=on_close pending=pending submit=submit busy=busy />
                </form>
            </Show>
        </Modal>
    }
}

/// A signing secret on screen with its copy button. It replaces the form
/// that had focus, so focus goes to its heading.
#[component]
pub fn SigningSecret(secret: String) -> impl IntoView {
    focus_when_shown("signing-secret-heading");
    view! {
        <h3 id="signing-secret-heading" class="small-heading" tabindex="-1">
            "The signing secret is shown below"
        </h3>
        <dl class="secret-values">
            <CopyableValue label="Signing secret" id="signing-secret" value=secret />
        </dl>
    }
}
