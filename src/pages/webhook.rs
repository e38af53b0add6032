//! `/projects/:id/webhooks/:wid`: one endpoint — how it is doing, a test
//! event, its delivery log right under that, its signing secret, and how to
//! verify our signatures (folded away until wanted).

pub mod form;
pub mod health;
mod log;
mod secret;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use portal_contract::projects::Environment;
use portal_contract::webhooks::{EndpointOut, EndpointPatch, EndpointTestIn, PortalEvent};
use portal_contract::{ErrorCode, Permission};

use crate::api;
use crate::components::copy::CodeBlock;
use crate::components::load_error::LoadError;
use crate::components::menu::{ActionMenu, MenuItem};
use crate::components::modal::{Modal, ModalActions};
use crate::components::progress::track_progress;
use crate::components::select::SelectField;
use crate::components::toast::use_toaster;
use crate::format;
use crate::pages::projects::{ProductionBanner, ProductionWarning};
use crate::routes::{Page, project_href};
use crate::session::use_session;

use form::{EndpointModal, Target};
use health::{EndpointHealth, badge, success_rate};
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
    // For the breadcrumb and the production cue.
    let project = LocalResource::new(move || {
        let id = project_id();
        async move { api::project(&id).await.ok() }
    });
    let project_name = move || {
        project
            .get()
            .flatten()
            .map_or_else(|| "Project".to_owned(), |p| p.name)
    };
    let production = move || {
        project
            .get()
            .flatten()
            .is_some_and(|p| p.environment == Environment::Production)
    };
    view! {
        {move || production().then(|| view! { <ProductionBanner /> })}
        <p class="breadcrumb">
            <A href=Page::Projects.path()>"Projects"</A>
            " / "
            <A href=move || project_href(&project_id())>{project_name}</A>
            " / "
            <A href=move || format!("{}?tab=webhooks", project_href(&project_id()))>"Webhooks"</A>
        </p>
        <Transition
            fallback=|| {
                view! {
                    <p class="loading visually-hidden">"Loading the endpoint…"</p>
                    <div class="skeleton-header" aria-hidden="true">
                        <span class="skeleton-bar skeleton-title"></span>
                    </div>
                }
            }
            set_pending=track_progress()
        >
            {move || Suspend::new(async move {
                match webhook.await {
                    Ok(w) => {
                        view! { <WebhookView webhook=w production=Signal::derive(production) /> }
                            .into_any()
                    }
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

#[component]
fn WebhookView(webhook: EndpointOut, production: Signal<bool>) -> impl IntoView {
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
                let patch = EndpointPatch {
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
    // The log reloads every few seconds and after each send: the endpoint's
    // health is fetched with it, so "Failing" shows while it is true.
    Effect::new({
        let id = id.clone();
        move |seen: Option<()>| {
            log_version.track();
            if seen.is_some() {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(w) = api::webhook(&id).await
                        && current.try_with_untracked(|c| c != &w) == Some(true)
                    {
                        current.set(w);
                    }
                });
            }
        }
    });
    let health = move || EndpointHealth::of(&current.get());
    let events = move || {
        current.with(|w| {
            if w.event_types.is_empty() {
                "All events".to_owned()
            } else {
                w.event_types.join(", ")
            }
        })
    };
    let rate = move || match current.with(|w| success_rate(&w.stats)) {
        None => view! { <span class="muted">"No attempts in the past 24 hours"</span> }.into_any(),
        Some((rate, tone, attempts)) => view! {
            <span class=tone.text()>{rate}</span>
            " "
            <span class="muted">{format!("({attempts})")}</span>
        }
        .into_any(),
    };

    view! {
        <div class="page-header">
            <h1 class="truncate" title=move || current.with(|w| w.url.clone())>
                {move || current.with(|w| w.url.clone())}
            </h1>
            {may_manage
                .then(|| {
                    view! {
                        <div class="page-actions">
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
                            <ActionMenu
                                label="More actions for this endpoint"
                                items=vec![
                                    MenuItem::danger("Delete endpoint", move || deleting.set(true)),
                                ]
                            />
                        </div>
                    }
                })}
        </div>
        <div class="summary">
            <section class="card" aria-labelledby="health-heading">
                <h2 id="health-heading" class="visually-hidden">
                    "Health"
                </h2>
                <dl class="facts">
                    <dt>"Status"</dt>
                    <dd class="health-line">
                        {move || badge(health().label(), health().tone())}
                        <span>{move || health().explanation()}</span>
                    </dd>
                    <dt>"Past 24 hours"</dt>
                    <dd>{rate}</dd>
                    <dt>"Events"</dt>
                    <dd>{events}</dd>
                    {move || {
                        current
                            .with(|w| {
                                (!w.description.is_empty())
                                    .then(|| {
                                        view! {
                                            <dt>"Description"</dt>
                                            <dd>{w.description.clone()}</dd>
                                        }
                                    })
                            })
                    }}
                    <dt>"Added"</dt>
                    <dd>{move || current.with(|w| format::date(w.created_at))}</dd>
                </dl>
            </section>
            {may_manage
                .then(|| view! { <TestEventCard webhook=current log_version=log_version /> })}
        </div>
        <div class="sections">
            <DeliveryLog
                webhook_id=id.clone()
                version=log_version
                may_manage=may_manage
                enabled=current.with_untracked(|w| w.enabled)
            />
            <div class="two-up">
                {may_manage.then(|| view! { <SecretCard webhook=current /> })} <VerifyPanel />
            </div>
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
            <DeleteEndpointModal
                webhook=current
                production=production.get_untracked()
                on_close=move || deleting.set(false)
            />
        </Show>
    }
}

/// Send a test event of a chosen type.
#[component]
fn TestEventCard(webhook: RwSignal<EndpointOut>, log_version: RwSignal<u32>) -> impl IntoView {
    let toaster = use_toaster();
    let event_type = RwSignal::new(PortalEvent::WebhookTest.name().to_owned());
    let pending = RwSignal::new(false);
    let options = PortalEvent::ALL
        .iter()
        .map(|e| (e.name().to_owned(), e.name().to_owned()))
        .collect::<Vec<_>>();
    // A disabled endpoint gets no events, test ones included: say so before
    // the server has to.
    let off = move || webhook.with(|w| !w.enabled);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() || webhook.with_untracked(|w| !w.enabled) {
            return;
        }
        pending.set(true);
        let id = webhook.with_untracked(|w| w.id.to_string());
        let input = EndpointTestIn {
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
                "A realistic sample payload of the type you pick, signed like any other event. It shows in the log below."
            </p>
            <form on:submit=on_submit novalidate>
                <SelectField
                    label="Event type"
                    id="test-event-type"
                    value=event_type
                    options=options
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || (pending.get() || off()).to_string()
                    aria-describedby=move || off().then_some("test-off")
                >
                    {move || if pending.get() { "Sending…" } else { "Send test event" }}
                </button>
                <Show when=off>
                    <p class="field-hint" id="test-off">
                        "Enable the endpoint to send it test events."
                    </p>
                </Show>
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
        <details class="card verify">
            <summary>"How to verify our signatures"</summary>
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
        </details>
    }
}

#[component]
fn DeleteEndpointModal(
    webhook: RwSignal<EndpointOut>,
    /// The endpoint belongs to a production project: the dialog says so.
    production: bool,
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
                    toaster.success("Endpoint deleted.");
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
                {production
                    .then(|| {
                        view! {
                            <ProductionWarning text="Your live systems stop receiving this project's events at this address." />
                        }
                    })}
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
