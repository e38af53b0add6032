//! `/projects/:id/webhooks/:wid`: one endpoint — its settings, signing
//! secret, test events, how to verify our signatures, and the delivery log.

pub mod form;
mod log;
mod secret;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use portal_contract::webhooks::{
    DeliveryStatus, PortalEvent, WebhookOut, WebhookPatch, WebhookTestIn,
};
use portal_contract::{ErrorCode, Permission};

use crate::api;
use crate::components::copy::CodeBlock;
use crate::components::load_error::LoadError;
use crate::components::modal::{Modal, ModalActions};
use crate::components::select::SelectField;
use crate::components::toast::use_toaster;
use crate::format;
use crate::routes::{Page, project_href};
use crate::session::use_session;

use form::{EndpointModal, Target};
use log::DeliveryLog;
use secret::SecretCard;

#[component]
pub fn WebhookPage() -> impl IntoView {
    let params = use_params_map();
    let project_id = move || params.with(|p| p.get("id").unwrap_or_default());
    let webhook_id = move || params.with(|p| p.get("wid").unwrap_or_default());
    let webhook = LocalResource::new(move || {
        let id = webhook_id();
        async move { api::webhook(&id).await }
    });
    view! {
        <p class="breadcrumb">
            <A href=Page::Projects.path()>"Projects"</A>
            " / "
            <A href=move || format!("{}?tab=webhooks", project_href(&project_id()))>"Webhooks"</A>
        </p>
        <Transition fallback=|| {
            view! { <p class="loading">"Loading the endpoint…"</p> }
        }>
            {move || Suspend::new(async move {
                match webhook.await {
                    Ok(w) => view! { <WebhookView webhook=w /> }.into_any(),
                    Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                        view! {
                            <h1>"Endpoint not found"</h1>
                            <p>"It may have been deleted, or the link may be wrong."</p>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <h1>"Webhook endpoint"</h1>
                            <LoadError message=e.message() on_retry=move || webhook.refetch() />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Enabled, or disabled and why.
#[component]
pub fn EndpointStatus(webhook: WebhookOut) -> impl IntoView {
    if webhook.enabled {
        view! { <span class="badge badge-approved">"Enabled"</span> }.into_any()
    } else {
        let why = webhook
            .disabled_reason
            .map(|r| r.explanation())
            .unwrap_or("Disabled.");
        view! {
            <span class="badge badge-suspended">"Disabled"</span>
            <div class="muted small-text">{why}</div>
        }
        .into_any()
    }
}

/// A delivery's status as a badge.
pub fn delivery_status_badge(status: DeliveryStatus) -> impl IntoView {
    let class = match status {
        DeliveryStatus::Succeeded => "badge badge-approved",
        DeliveryStatus::Pending => "badge badge-pending",
        DeliveryStatus::Failed => "badge badge-suspended",
    };
    view! { <span class=class>{status.label()}</span> }
}

#[component]
fn WebhookView(webhook: WebhookOut) -> impl IntoView {
    let session = use_session();
    let may_manage = session.can(Permission::ManageCredentialsAndWebhooks);
    let toaster = use_toaster();
    let current = RwSignal::new(webhook);
    let editing = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    // Bumped when a test event or redelivery is sent, so the log reloads.
    let log_version = RwSignal::new(0u32);
    let toggling = RwSignal::new(false);
    let id = current.with_untracked(|w| w.id.to_string());

    let toggle = {
        let id = id.clone();
        move |_| {
            if toggling.get_untracked() {
                return;
            }
            toggling.set(true);
            let enable = !current.with_untracked(|w| w.enabled);
            let id = id.clone();
            leptos::task::spawn_local(async move {
                let patch = WebhookPatch {
                    enabled: Some(enable),
                    ..Default::default()
                };
                match api::update_webhook(&id, &patch).await {
                    Ok(w) => {
                        toaster.success(if enable {
                            "The endpoint is enabled: it gets new events again."
                        } else {
                            "The endpoint is disabled: it gets no new events."
                        });
                        current.set(w);
                        log_version.update(|v| *v += 1);
                    }
                    Err(e) => toaster.error(e.message()),
                }
                toggling.set(false);
            });
        }
    };

    view! {
        <div class="page-header">
            <h1 class="wrap">{move || current.with(|w| w.url.clone())}</h1>
            {move || view! { <EndpointStatus webhook=current.get() /> }}
        </div>
        <p class="lead">
            {move || {
                current
                    .with(|w| {
                        let events = if w.event_types.is_empty() {
                            "all events".to_owned()
                        } else {
                            w.event_types.join(", ")
                        };
                        let description = if w.description.is_empty() {
                            String::new()
                        } else {
                            format!("{}. ", w.description)
                        };
                        format!(
                            "{description}Receives {events}. Added {}.",
                            format::date(w.created_at),
                        )
                    })
            }}
        </p>
        <div class="sections">
            {may_manage
                .then(|| {
                    view! {
                        <div class="toolbar">
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| editing.set(true)
                            >
                                "Edit"
                            </button>
                            <button
                                type="button"
                                class="button"
                                aria-disabled=move || toggling.get().to_string()
                                on:click=toggle.clone()
                            >
                                {move || {
                                    if current.with(|w| w.enabled) { "Disable" } else { "Enable" }
                                }}
                            </button>
                            <button
                                type="button"
                                class="button button-danger"
                                on:click=move |_| deleting.set(true)
                            >
                                "Delete"
                            </button>
                        </div>
                        <TestEventCard webhook=current log_version=log_version />
                        <SecretCard webhook=current />
                    }
                })} <VerifyPanel />
            <DeliveryLog webhook_id=id.clone() version=log_version may_manage=may_manage />
        </div>
        <Show when=move || editing.get()>
            <EndpointModal
                target=Target::Edit(current.get_untracked())
                on_close=move || editing.set(false)
                on_saved=move |w| {
                    current.set(w);
                    editing.set(false);
                }
            />
        </Show>
        <Show when=move || deleting.get()>
            <DeleteEndpointModal webhook=current on_close=move || deleting.set(false) />
        </Show>
    }
}

/// Send a test event of a chosen type.
#[component]
fn TestEventCard(webhook: RwSignal<WebhookOut>, log_version: RwSignal<u32>) -> impl IntoView {
    let toaster = use_toaster();
    let event_type = RwSignal::new(PortalEvent::WebhookTest.name().to_owned());
    let pending = RwSignal::new(false);
    let options = PortalEvent::ALL
        .iter()
        .map(|e| (e.name().to_owned(), e.name().to_owned()))
        .collect::<Vec<_>>();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let id = webhook.with_untracked(|w| w.id.to_string());
        let input = WebhookTestIn {
            event_type: event_type.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::send_test_event(&id, &input).await {
                Ok(_) => {
                    toaster.success(format!("A test {} event is on its way.", input.event_type));
                    log_version.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.message()),
            }
            pending.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="test-heading">
            <h2 id="test-heading">"Send a test event"</h2>
            <p class="muted">
                "A realistic sample payload of the type you pick, signed like any other event."
            </p>
            <form class="inline-form" on:submit=on_submit novalidate>
                <SelectField
                    label="Event type"
                    id="test-event-type"
                    value=event_type
                    options=options
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Sending…" } else { "Send test event" }}
                </button>
            </form>
        </section>
    }
}

/// How a receiver checks our signatures, with the official libraries.
#[component]
fn VerifyPanel() -> impl IntoView {
    let node = "import { Webhook } from \"standardwebhooks\";\n\n\
                const wh = new Webhook(process.env.WEBHOOK_SECRET); // whsec_…\n\
                // In your handler, with the raw body as received:\n\
                const event = wh.verify(rawBody, {\n  \"webhook-id\": req.headers[\"webhook-id\"],\n  \
                \"webhook-timestamp\": req.headers[\"webhook-timestamp\"],\n  \
                \"webhook-signature\": req.headers[\"webhook-signature\"],\n}); // throws if forged or stale";
    let python = "from standardwebhooks.webhooks import Webhook\n\n\
                  wh = Webhook(os.environ[\"WEBHOOK_SECRET\"])  # whsec_…\n\
                  event = wh.verify(raw_body, request.headers)  # raises if forged or stale";
    view! {
        <section class="card" aria-labelledby="verify-heading">
            <h2 id="verify-heading">"Verify signatures"</h2>
            <p>
                "Each request carries " <code>"webhook-id"</code> ", "
                <code>"webhook-timestamp"</code> " and " <code>"webhook-signature"</code> ": "
                <code>"v1,"</code> " and the base64 HMAC-SHA256 of "
                <code>"id.timestamp.body"</code> " under the secret's key (the base64 after "
                <code>"whsec_"</code>
                "). While a rotated secret overlaps, two signatures are sent; accept either. Check the raw body before parsing it, refuse timestamps more than five minutes old, and deduplicate by "
                <code>"webhook-id"</code> ": a delivery can arrive more than once."
            </p>
            <h3 class="small-heading">"Node.js (npm standardwebhooks)"</h3>
            <CodeBlock text=node.to_owned() label="Copy the Node.js example" />
            <h3 class="small-heading">"Python (pip install standardwebhooks)"</h3>
            <CodeBlock text=python.to_owned() label="Copy the Python example" />
        </section>
    }
}

#[component]
fn DeleteEndpointModal(
    webhook: RwSignal<WebhookOut>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let (id, project) =
            webhook.with_untracked(|w| (w.id.to_string(), w.project_id.to_string()));
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::delete_webhook(&id).await {
                Ok(()) => {
                    toaster.success("The endpoint is deleted.");
                    on_close.run(());
                    navigate(
                        &format!("{}?tab=webhooks", project_href(&project)),
                        Default::default(),
                    );
                }
                Err(e) => error.set(Some(e.message())),
            }
            pending.set(false);
        });
    };
    view! {
        <Modal title="Delete this endpoint?" on_close=on_close>
            <form on:submit=on_submit novalidate>
                <p>
                    "It gets no more events, and its delivery log is deleted with it. This can't be undone."
                </p>
                <crate::components::form::FormError message=error />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Delete endpoint"
                    busy="Deleting…"
                    danger=true
                />
            </form>
        </Modal>
    }
}
