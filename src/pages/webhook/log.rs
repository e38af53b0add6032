//! The delivery log: newest first, filtered by status and event type, in
//! pages; each delivery's attempts in detail; redelivery.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsValue;
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryQuery, DeliveryStatus, PortalEvent,
};

use super::delivery_status_badge;
use crate::api;
use crate::components::load_error::{Listing, LoadError};
use crate::components::modal::Modal;
use crate::components::select::SelectField;
use crate::components::table::DataTable;
use crate::components::toast::use_toaster;
use crate::format;

/// How often the log reloads itself while it is on screen.
const REFRESH_MS: u64 = 3000;

#[component]
pub fn DeliveryLog(
    webhook_id: String,
    /// Bumped by the page when something was sent.
    version: RwSignal<u32>,
    may_manage: bool,
) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let event_type = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let query = Memo::new(move |_| DeliveryQuery {
        status: status.get().parse().ok(),
        event_type: Some(event_type.get()).filter(|t| !t.is_empty()),
        page: Some(page.get()),
    });
    let deliveries = LocalResource::new({
        let id = webhook_id.clone();
        move || {
            version.track();
            let (id, q) = (id.clone(), query.get());
            async move { api::deliveries(&id, &q).await }
        }
    });
    // New deliveries and retries show up without a reload.
    if let Ok(handle) = set_interval_with_handle(
        move || version.update(|v| *v += 1),
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    let detail = RwSignal::new(None::<String>);
    let status_options = std::iter::once((String::new(), "All statuses".to_owned()))
        .chain(DeliveryStatus::ALL.map(|s| (s.as_str().to_owned(), s.label().to_owned())))
        .collect::<Vec<_>>();
    // The portal's types, then partners' own as the log reports them. Once
    // seen a type stays, so the chosen one doesn't vanish while a page loads.
    let seen_types = Memo::new(move |seen: Option<&Vec<String>>| {
        let mut types = seen.cloned().unwrap_or_default();
        if let Some(Ok(page)) = deliveries.get() {
            for t in page.event_types {
                if !types.contains(&t) && PortalEvent::parse(&t).is_none() {
                    types.push(t);
                }
            }
        }
        types.sort();
        types
    });
    let type_options = Signal::derive(move || {
        std::iter::once((String::new(), "All event types".to_owned()))
            .chain(
                PortalEvent::ALL
                    .iter()
                    .map(|e| (e.name().to_owned(), e.name().to_owned())),
            )
            .chain(seen_types.get().into_iter().map(|t| (t.clone(), t)))
            .collect::<Vec<_>>()
    });
    Effect::new(move |_| {
        status.track();
        event_type.track();
        page.set(1);
    });

    view! {
        <section aria-labelledby="log-heading">
            <h2 id="log-heading">"Delivery log"</h2>
            <div class="toolbar">
                <SelectField label="Status" id="log-status" value=status options=status_options />
                <SelectField
                    label="Event type"
                    id="log-event-type"
                    value=event_type
                    options=type_options
                />
            </div>
            <Listing
                list=deliveries
                loading="Loading deliveries…"
                empty="No deliveries match. Send a test event to see one here."
                is_empty=|p| p.items.is_empty()
                rows=move |p| {
                    let pages = p.total.div_ceil(p.page_size).max(1);
                    let at_first = p.page <= 1;
                    let at_last = p.page >= pages;
                    let rows = p
                        .items
                        .into_iter()
                        .map(|d| {
                            view! {
                                <DeliveryRow
                                    delivery=d
                                    may_manage=may_manage
                                    on_open=move |id| detail.set(Some(id))
                                    on_redelivered=move || version.update(|v| *v += 1)
                                />
                            }
                        })
                        .collect_view();
                    view! {
                        <DataTable
                            caption="Deliveries, newest first"
                            columns=&[
                                "Event",
                                "Status",
                                "HTTP",
                                "Latency",
                                "Attempts",
                                "Next retry",
                                "Created",
                            ]
                            actions=true
                        >
                            {rows}
                        </DataTable>
                        <nav class="pagination" aria-label="Delivery log pages">
                            <button
                                type="button"
                                class="button button-small"
                                disabled=at_first
                                on:click=move |_| {
                                    page.update(|p| *p = p.saturating_sub(1).max(1))
                                }
                            >
                                "Previous"
                            </button>
                            <span>
                                {format!("Page {} of {pages} · {} deliveries", p.page, p.total)}
                            </span>
                            <button
                                type="button"
                                class="button button-small"
                                disabled=at_last
                                on:click=move |_| page.update(|p| *p += 1)
                            >
                                "Next"
                            </button>
                        </nav>
                    }
                }
            />
        </section>
        {move || {
            detail
                .get()
                .map(|id| view! { <DeliveryDetailModal id=id on_close=move || detail.set(None) /> })
        }}
    }
}

#[component]
fn DeliveryRow(
    delivery: DeliveryOut,
    may_manage: bool,
    #[prop(into)] on_open: Callback<String>,
    #[prop(into)] on_redelivered: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let now = format::now();
    let d = delivery;
    let id = d.id.to_string();
    let busy = RwSignal::new(false);
    let redeliver = {
        let id = id.clone();
        move |_| {
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::redeliver(&id).await {
                    Ok(_) => {
                        toaster.success("Redelivery is on its way.");
                        on_redelivered.run(());
                    }
                    Err(e) => toaster.error(e.message()),
                }
                busy.set(false);
            });
        }
    };
    let open = {
        let id = id.clone();
        move |_| on_open.run(id.clone())
    };
    view! {
        <tr>
            <th scope="row">
                <code>{d.event_type.clone()}</code>
            </th>
            <td>{delivery_status_badge(d.status)}</td>
            <td>{d.last_http_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
            <td>{d.last_latency_ms.map(|l| format!("{l} ms")).unwrap_or_else(|| "—".into())}</td>
            <td class="numeric">{d.attempts}</td>
            <td>
                {d
                    .next_attempt_at
                    .map(|t| format::relative(now, t))
                    .unwrap_or_else(|| "—".into())}
            </td>
            <td>{format::relative(now, d.created_at)}</td>
            <td>
                <div class="row-actions">
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=format!("Details of the {} delivery", d.event_type)
                        on:click=open
                    >
                        "Details"
                    </button>
                    {may_manage
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="button button-small"
                                    aria-label=format!("Redeliver the {} delivery", d.event_type)
                                    aria-disabled=move || busy.get().to_string()
                                    on:click=redeliver.clone()
                                >
                                    "Redeliver"
                                </button>
                            }
                        })}
                </div>
            </td>
        </tr>
    }
}

#[component]
fn DeliveryDetailModal(id: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let detail = LocalResource::new(move || {
        let id = id.clone();
        async move { api::delivery(&id).await }
    });
    view! {
        <Modal title="Delivery" on_close=on_close>
            <Transition fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <DetailView detail=d /> }.into_any(),
                        Err(e) => {
                            view! {
                                <LoadError message=e.message() on_retry=move || detail.refetch() />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Modal>
    }
}

/// `text` indented, by the browser's own JSON (serde_json's `Value` and
/// pretty printer would add their code to the app for this one view).
fn pretty_json(text: &str) -> String {
    js_sys::JSON::parse(text)
        .ok()
        .and_then(|v| {
            js_sys::JSON::stringify_with_replacer_and_space(&v, &JsValue::NULL, &JsValue::from(2))
                .ok()
        })
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| text.to_owned())
}

#[component]
fn DetailView(detail: DeliveryDetail) -> impl IntoView {
    let d = &detail.delivery;
    let body = pretty_json(&detail.request_body);
    let attempts = detail
        .attempts
        .iter()
        .rev()
        .map(|a| {
            let outcome = match (a.response_status, &a.error) {
                (Some(s), _) => format!("HTTP {s} in {} ms", a.latency_ms),
                (None, Some(e)) => format!("No response: {e}"),
                (None, None) => "No response".to_owned(),
            };
            let headers = a
                .request_headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            view! {
                <section class="attempt">
                    <h3 class="small-heading">
                        {format!("Attempt {} · {}", a.attempt, format::date_time(a.started_at))}
                    </h3>
                    <p>{outcome}</p>
                    <details>
                        <summary>"Request headers"</summary>
                        <pre tabindex="0">{headers}</pre>
                    </details>
                    {(!a.response_excerpt.is_empty())
                        .then(|| {
                            view! {
                                <p class="small-heading">"Response body (first kilobyte)"</p>
                                <pre tabindex="0">{a.response_excerpt.clone()}</pre>
                            }
                        })}
                </section>
            }
        })
        .collect_view();
    view! {
        <dl class="facts">
            <dt>"Event"</dt>
            <dd>
                <code>{d.event_type.clone()}</code>
            </dd>
            <dt>"webhook-id"</dt>
            <dd>
                <code>{d.event_id.to_string()}</code>
            </dd>
            <dt>"Status"</dt>
            <dd>{delivery_status_badge(d.status)}</dd>
            <dt>"Sent to"</dt>
            <dd class="wrap">{detail.url.clone()}</dd>
        </dl>
        <h3 class="small-heading">"Request body"</h3>
        <pre tabindex="0" class="payload">
            {body}
        </pre>
        {if detail.attempts.is_empty() {
            view! { <p class="muted">"Not attempted yet."</p> }.into_any()
        } else {
            attempts.into_any()
        }}
    }
}
