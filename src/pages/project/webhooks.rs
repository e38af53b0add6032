//! The project's Webhooks tab: its endpoints with their health over the past
//! day, and adding one.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_contract::Permission;
use portal_contract::projects::ProjectOut;
use portal_contract::webhooks::{DisabledReason, EndpointList, EndpointOut};

use crate::api;
use crate::components::load_error::Listing;
use crate::components::table::DataTable;
use crate::format;
use crate::pages::webhook::form::{EndpointModal, Target};
use crate::pages::webhook::health::{EndpointHealth, badge, last_delivery, success_rate};
use crate::routes::webhook_href;
use crate::session::use_session;

#[component]
pub fn WebhooksTab(project: RwSignal<ProjectOut>) -> impl IntoView {
    let session = use_session();
    let may_manage = session.can(Permission::ManageCredentialsAndWebhooks);
    let navigate = use_navigate();
    let project_id = project.with_untracked(|p| p.id.to_string());
    let webhooks = LocalResource::new({
        let id = project_id.clone();
        move || {
            let id = id.clone();
            async move { api::webhooks(&id).await }
        }
    });
    let adding = RwSignal::new(false);
    let rows_project_id = project_id.clone();
    let on_added = {
        let project_id = project_id.clone();
        Callback::new(move |w: EndpointOut| {
            adding.set(false);
            navigate(
                &webhook_href(&project_id, w.id.as_str()),
                Default::default(),
            );
        })
    };

    view! {
        <section aria-labelledby="webhooks-heading">
            <div class="section-header">
                <div>
                    <h2 id="webhooks-heading">"Webhook endpoints"</h2>
                    <p class="muted">
                        "We POST this project's events to your endpoints, signed as Standard Webhooks, and retry for about 17 hours when they fail."
                    </p>
                </div>
                {may_manage
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button button-primary"
                                on:click=move |_| adding.set(true)
                            >
                                "Add endpoint"
                            </button>
                        }
                    })}
            </div>
            <Listing
                list=webhooks
                loading="Loading endpoints…"
                empty="No endpoints yet. Add one to receive this project's events, such as credential.created, and your own through POST /v1/events."
                is_empty=|list| list.items.is_empty()
                rows=move |list: EndpointList| {
                    let failing = list
                        .items
                        .iter()
                        .filter(|w| { w.disabled_reason == Some(DisabledReason::Failing) })
                        .map(|w| w.url.clone())
                        .collect::<Vec<_>>();
                    let rows = list
                        .items
                        .into_iter()
                        .map(|w| {
                            view! { <EndpointRow webhook=w project_id=rows_project_id.clone() /> }
                        })
                        .collect_view();
                    view! {
                        {(!failing.is_empty())
                            .then(|| {
                                view! {
                                    <div class="banner banner-danger" role="alert">
                                        <strong>"Disabled after repeated failures: "</strong>
                                        {failing.join(", ")}
                                        ". Fix the receiver, enable the endpoint again, then redeliver what it missed."
                                    </div>
                                }
                            })}
                        <DataTable
                            caption="Webhook endpoints"
                            columns=&["Endpoint", "Status", "Past 24 hours", "Last delivery"]
                        >
                            {rows}
                        </DataTable>
                    }
                }
            />
        </section>
        <Show when=move || adding.get()>
            <EndpointModal
                target=Target::Add {
                    project_id: project_id.clone(),
                }
                on_close=move || adding.set(false)
                on_saved=on_added
            />
        </Show>
    }
}

#[component]
fn EndpointRow(webhook: EndpointOut, project_id: String) -> impl IntoView {
    let now = format::now();
    let w = webhook;
    let health = EndpointHealth::of(&w);
    let events = if w.event_types.is_empty() {
        "All events".to_owned()
    } else {
        format::count(w.event_types.len() as u32, "event type", "event types")
    };
    let detail = if w.description.is_empty() {
        events
    } else {
        format!("{} · {events}", w.description)
    };
    let rate = match success_rate(&w.stats) {
        None => view! { <span class="muted">"No attempts"</span> }.into_any(),
        Some((rate, tone, attempts)) => view! {
            <span class=tone.text()>{rate}</span>
            <span class="sub">{attempts}</span>
        }
        .into_any(),
    };
    let last = match (w.stats.last_delivery_at, last_delivery(&w.stats)) {
        (Some(at), state) => view! {
            {state.map(|d| view! { <span class=d.tone().text()>{d.label()}</span> })}
            <span class="sub">{format::relative(now, at)}</span>
        }
        .into_any(),
        _ => view! { <span class="muted">"None yet"</span> }.into_any(),
    };
    let href = webhook_href(&project_id, w.id.as_str());
    let url = w.url.clone();
    view! {
        <tr>
            <th scope="row">
                <div class="cell-wide">
                    <A href=href attr:class="truncate" attr:title=url>
                        {w.url.clone()}
                    </A>
                    <span class="sub truncate" title=detail.clone()>
                        {detail.clone()}
                    </span>
                </div>
            </th>
            <td data-label="Status">
                <div class="cell-medium">
                    {badge(health.label(), health.tone())}
                    <span class="sub truncate" title=health.explanation()>
                        {health.explanation()}
                    </span>
                </div>
            </td>
            <td data-label="Past 24 hours">
                <div>{rate}</div>
            </td>
            <td data-label="Last delivery">
                <div>{last}</div>
            </td>
        </tr>
    }
}
