//! The delivery log: newest first, filtered by status and event type, in
//! pages; each delivery's details in a sheet (its payload, and its attempts
//! on a timeline); redelivery of a settled one.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsValue;
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryQuery, DeliveryStatus, PortalEvent,
};

use super::health::{DeliveryState, badge};
use crate::api;
use crate::components::copy::{CodeBlock, IdWithCopy};
use crate::components::load_error::{Listing, LoadError};
use crate::components::menu::{ActionMenu, MenuItem};
use crate::components::modal::{DialogKind, Modal};
use crate::components::select::SelectField;
use crate::components::table::DataTable;
use crate::components::toast::{Toaster, use_toaster};
use crate::format;

/// How often the log reloads itself while it is on screen.
const REFRESH_MS: u64 = 3000;

#[component]
pub fn DeliveryLog(
    webhook_id: String,
    /// Bumped by the page when something was sent.
    version: RwSignal<u32>,
    may_manage: bool,
    /// Whether the endpoint was enabled when the page opened: the empty
    /// log says what to do first.
    enabled: bool,
) -> impl IntoView {
    let empty = match (may_manage, enabled) {
        (true, true) => "No deliveries match. Send a test event to see one here.",
        (true, false) => {
            "No deliveries match. Enable the endpoint, then send a test event to see one here."
        }
        (false, _) => {
            "No deliveries match. Events this endpoint subscribes to show here as they are sent."
        }
    };
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
    // The delivery whose details are open: its id and event type.
    let detail = RwSignal::new(None::<(String, String)>);
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
                columns=6
                empty=empty
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
                                    on_open=move |open| detail.set(Some(open))
                                    on_redelivered=move || version.update(|v| *v += 1)
                                />
                            }
                        })
                        .collect_view();
                    view! {
                        <DataTable
                            caption="Deliveries, newest first"
                            columns=&["Event", "Status", "Response", "Attempts", "Created"]
                            numeric=&["Attempts"]
                            actions=true
                        >
                            {rows}
                        </DataTable>
                        <nav class="pagination" aria-label="Delivery log pages">
                            <p>{format::count(p.total, "delivery", "deliveries")}</p>
                            <div class="pager">
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
                                <span>{format!("Page {} of {pages}", p.page)}</span>
                                <button
                                    type="button"
                                    class="button button-small"
                                    disabled=at_last
                                    on:click=move |_| page.update(|p| *p += 1)
                                >
                                    "Next"
                                </button>
                            </div>
                        </nav>
                    }
                }
            />
        </section>
        {move || {
            detail
                .get()
                .map(|(id, event_type)| {
                    view! {
                        <DeliveryDetailModal
                            id=id
                            event_type=event_type
                            may_manage=may_manage
                            on_close=move || detail.set(None)
                            on_redelivered=move || version.update(|v| *v += 1)
                        />
                    }
                })
        }}
    }
}

/// Asks for a redelivery; says how it went in a toast.
fn redeliver(id: String, busy: RwSignal<bool>, done: Callback<()>, toaster: Toaster) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    leptos::task::spawn_local(async move {
        match api::redeliver(&id).await {
            Ok(_) => {
                toaster.success("Redelivery is on its way.");
                done.run(());
            }
            Err(e) => toaster.error(e.message()),
        }
        busy.set(false);
    });
}

#[component]
fn DeliveryRow(
    delivery: DeliveryOut,
    may_manage: bool,
    #[prop(into)] on_open: Callback<(String, String)>,
    #[prop(into)] on_redelivered: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let now = format::now();
    let d = delivery;
    let state = DeliveryState::of(&d);
    let id = d.id.to_string();
    let event_type = d.event_type.clone();
    let busy = RwSignal::new(false);
    let open = {
        let (id, event_type) = (id.clone(), event_type.clone());
        move || on_open.run((id.clone(), event_type.clone()))
    };
    let response = match (d.last_http_status, d.last_latency_ms) {
        (Some(status), latency) => {
            let tone = if (200..300).contains(&status) {
                ""
            } else {
                "tone-danger"
            };
            view! {
                <span class=tone>{format!("HTTP {status}")}</span>
                {latency.map(|l| view! { <span class="muted">{format!(" · {l} ms")}</span> })}
            }
            .into_any()
        }
        (None, _) if d.attempts > 0 => {
            view! { <span class="tone-danger">"No response"</span> }.into_any()
        }
        (None, _) => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let mut items = vec![MenuItem::new("View details", open.clone())];
    if may_manage && state.may_redeliver() {
        let id = id.clone();
        items.push(MenuItem::new("Redeliver", move || {
            redeliver(id.clone(), busy, on_redelivered, toaster)
        }));
    }
    view! {
        <tr>
            <th scope="row">
                <button
                    type="button"
                    class="button-link"
                    aria-label=format!("Details of the {event_type} delivery")
                    on:click=move |_| open()
                >
                    <code class="truncate cell-medium">{event_type.clone()}</code>
                </button>
            </th>
            <td data-label="Status">
                <div>
                    {badge(state.label(), state.tone())}
                    {state.next_attempt(now).map(|n| view! { <span class="sub">{n}</span> })}
                </div>
            </td>
            <td data-label="Response">{response}</td>
            <td class="numeric" data-label="Attempts">
                {d.attempts}
            </td>
            <td data-label="Created" title=format::date_time(d.created_at)>
                {format::relative(now, d.created_at)}
            </td>
            <td class="actions">
                <ActionMenu label=format!("Actions for the {event_type} delivery") items=items />
            </td>
        </tr>
    }
}

#[component]
fn DeliveryDetailModal(
    id: String,
    event_type: String,
    may_manage: bool,
    #[prop(into)] on_close: Callback<()>,
    /// A redelivery was asked for: the log reloads.
    #[prop(into)]
    on_redelivered: Callback<()>,
) -> impl IntoView {
    let detail = LocalResource::new(move || {
        let id = id.clone();
        async move { api::delivery(&id).await }
    });
    let busy = RwSignal::new(false);
    let done = Callback::new(move |()| {
        on_redelivered.run(());
        detail.refetch();
    });
    view! {
        <Modal title=format!("{event_type} delivery") kind=DialogKind::SheetRight on_close=on_close>
            <Transition fallback=|| {
                view! {
                    <p class="loading visually-hidden">"Loading the delivery…"</p>
                    <div class="skeleton-block" aria-hidden="true"></div>
                }
            }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            view! {
                                <DetailView detail=d may_manage=may_manage busy=busy done=done />
                            }
                                .into_any()
                        }
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
fn DetailView(
    detail: DeliveryDetail,
    may_manage: bool,
    busy: RwSignal<bool>,
    done: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let now = format::now();
    let d = &detail.delivery;
    let state = DeliveryState::of(d);
    let body = pretty_json(&detail.request_body);
    let upcoming = state.next_attempt(now).map(|next| {
        view! {
            <li class="muted">
                <h4>{next}</h4>
                <p class="sub">{d.next_attempt_at.map(format::date_time).unwrap_or_default()}</p>
            </li>
        }
    });
    let attempts = detail
        .attempts
        .iter()
        .rev()
        .map(|a| {
            let ok = a.response_status.is_some_and(|s| (200..300).contains(&s));
            let outcome = match a.response_status {
                Some(s) => format!("HTTP {s}"),
                None => "No response".to_owned(),
            };
            let headers = a
                .request_headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            view! {
                <li class=if ok { "tone-success" } else { "tone-danger" }>
                    <h4>
                        <span class="timeline-title">{format!("Attempt {}", a.attempt)}</span>
                        {badge(
                            if ok { "Succeeded" } else { "Failed" },
                            if ok {
                                super::health::Tone::Success
                            } else {
                                super::health::Tone::Danger
                            },
                        )}
                    </h4>
                    <p class="sub">
                        {format!(
                            "{} · {outcome} in {} ms",
                            format::date_time(a.started_at),
                            a.latency_ms,
                        )}
                    </p>
                    {a.error.clone().map(|e| view! { <p class="timeline-text">{e}</p> })}
                    <details open=!ok && !a.response_excerpt.is_empty()>
                        <summary>"Response body (first kilobyte)"</summary>
                        {if a.response_excerpt.is_empty() {
                            view! { <p class="sub">"Empty."</p> }.into_any()
                        } else {
                            view! { <pre tabindex="0">{a.response_excerpt.clone()}</pre> }
                                .into_any()
                        }}
                    </details>
                    <details>
                        <summary>"Request headers"</summary>
                        <pre tabindex="0">{headers}</pre>
                    </details>
                </li>
            }
        })
        .collect_view();
    let redeliver_button = (may_manage && state.may_redeliver()).then(|| {
        let id = d.id.to_string();
        view! {
            <div class="drawer-actions">
                <button
                    type="button"
                    class="button"
                    aria-disabled=move || busy.get().to_string()
                    on:click=move |_| redeliver(id.clone(), busy, done, toaster)
                >
                    {move || if busy.get() { "Redelivering…" } else { "Redeliver" }}
                </button>
            </div>
        }
    });
    view! {
        <div class="health-line">
            {badge(state.label(), state.tone())}
            {state.next_attempt(now).map(|n| view! { <span class="muted">{n}</span> })}
        </div>
        {redeliver_button}
        <dl class="facts">
            <dt>"Event"</dt>
            <dd>
                <code>{d.event_type.clone()}</code>
            </dd>
            <dt>"webhook-id"</dt>
            <dd>
                <IdWithCopy value=d.event_id.to_string() label="Copy the webhook-id" />
            </dd>
            <dt>"Sent to"</dt>
            <dd>
                <span class="truncate" title=detail.url.clone()>
                    {detail.url.clone()}
                </span>
            </dd>
            <dt>"Created"</dt>
            <dd>{format::date_time(d.created_at)}</dd>
        </dl>
        <section aria-labelledby="payload-heading">
            <h3 id="payload-heading" class="small-heading">
                "Payload"
            </h3>
            <CodeBlock text=body label="Copy the payload" />
        </section>
        <section aria-labelledby="attempts-heading">
            <h3 id="attempts-heading" class="small-heading">
                {format!("Attempts ({})", detail.attempts.len())}
            </h3>
            {if detail.attempts.is_empty() && upcoming.is_none() {
                view! { <p class="muted">"Not attempted yet."</p> }.into_any()
            } else {
                view! { <ol class="timeline">{upcoming} {attempts}</ol> }.into_any()
            }}
        </section>
    }
}
