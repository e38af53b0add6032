//! `/`: the organisation at a glance.

use leptos::prelude::*;
use leptos_router::components::A;
use portal_contract::accounts::OrganisationStatus;

use crate::routes::Page;
use crate::session::use_session;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let session = use_session();
    let s = move || session.0.get();
    view! {
        <h1>"Overview"</h1>
        {move || {
            s()
                .map(|s| {
                    let status = s.organisation.status;
                    view! {
                        <p class="lead">"Welcome, " {s.user.full_name.clone()} "."</p>
                        {(status == OrganisationStatus::Pending)
                            .then(|| {
                                view! {
                                    <div class="banner" role="note">
                                        <strong>"Your organisation is awaiting approval."</strong>
                                        " You can look around and invite your team; creating API credentials unlocks once the platform approves your organisation."
                                    </div>
                                }
                            })}
                        <div class="cards">
                            <section class="card" aria-labelledby="org-heading">
                                <h2 id="org-heading">"Organisation"</h2>
                                <dl class="facts">
                                    <dt>"Name"</dt>
                                    <dd>{s.organisation.name.clone()}</dd>
                                    <dt>"Status"</dt>
                                    <dd>
                                        <span class=format!(
                                            "badge badge-{}",
                                            status.as_str(),
                                        )>{status_label(status)}</span>
                                    </dd>
                                    <dt>"Organisation id"</dt>
                                    <dd>
                                        <code>{s.organisation.id.to_string()}</code>
                                    </dd>
                                </dl>
                            </section>
                            <section class="card" aria-labelledby="account-heading">
                                <h2 id="account-heading">"Your account"</h2>
                                <dl class="facts">
                                    <dt>"Email"</dt>
                                    <dd>{s.user.email.clone()}</dd>
                                    <dt>"Role"</dt>
                                    <dd>{s.user.role.label()}</dd>
                                </dl>
                                <A href=Page::Settings.path() attr:class="button button-secondary">
                                    "Account settings"
                                </A>
                            </section>
                            <section class="card" aria-labelledby="api-heading">
                                <h2 id="api-heading">"API reference"</h2>
                                <p>
                                    "Every endpoint of the portal and partner API is described in an OpenAPI 3 document you can load into your tools."
                                </p>
                                <a class="button button-secondary" href="/api/openapi.json">
                                    "OpenAPI document"
                                </a>
                            </section>
                        </div>
                    }
                })
        }}
    }
}

/// The organisation's status as a person reads it.
pub fn status_label(status: OrganisationStatus) -> &'static str {
    match status {
        OrganisationStatus::Pending => "Awaiting approval",
        OrganisationStatus::Approved => "Approved",
        OrganisationStatus::Suspended => "Suspended",
    }
}
