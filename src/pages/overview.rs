//! `/`: the organisation at a glance, and the quick-start checklist that
//! ticks itself from what the organisation has really done.

use leptos::prelude::*;
use leptos_router::components::A;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::OverviewOut;

use crate::api;
use crate::components::copy::CodeBlock;
use crate::components::load_error::LoadError;
use crate::components::progress::track_progress;
use crate::components::table::SkeletonLines;
use crate::components::text::{MidTruncate, Truncate};
use crate::routes::{Page, project_href, webhook_href};
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
                        <QuickStart />
                        <div class="cards">
                            <section class="card" aria-labelledby="org-heading">
                                <h2 id="org-heading">"Organisation"</h2>
                                <dl class="facts">
                                    <dt>"Name"</dt>
                                    <dd>
                                        <Truncate text=s.organisation.name.clone() />
                                    </dd>
                                    <dt>"Status"</dt>
                                    <dd>
                                        <span class=format!(
                                            "badge badge-{}",
                                            status.as_str(),
                                        )>{status_label(status)}</span>
                                    </dd>
                                    <dt>"Organisation id"</dt>
                                    <dd>
                                        <MidTruncate value=s.organisation.id.to_string() />
                                    </dd>
                                </dl>
                            </section>
                            <section class="card" aria-labelledby="account-heading">
                                <h2 id="account-heading">"Your account"</h2>
                                <dl class="facts">
                                    <dt>"Email"</dt>
                                    <dd>
                                        <Truncate text=s.user.email.clone() />
                                    </dd>
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

/// One step of the quick start.
struct Step {
    title: &'static str,
    done: bool,
    body: AnyView,
}

/// Create a project → create a credential → get a token → first call. Once
/// every step is done it folds into one line, its steps a click away.
#[component]
fn QuickStart() -> impl IntoView {
    let overview = LocalResource::new(api::overview);
    view! {
        <Transition
            fallback=|| {
                view! {
                    <div class="card quick-start">
                        <SkeletonLines label="Checking your progress…" />
                    </div>
                }
            }
            set_pending=track_progress()
        >
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        let banner = failing_banner(&o);
                        let (done, total, steps) = checklist(o);
                        if done == total {
                            view! {
                                {banner}
                                <details class="card quick-start quick-start-done">
                                    <summary>
                                        <span class="check check-done" aria-hidden="true">
                                            "✓"
                                        </span>
                                        {format!(" Quick start: {done} of {total} done.")}
                                    </summary>
                                    {steps}
                                </details>
                            }
                                .into_any()
                        } else {
                            view! {
                                {banner}
                                <section
                                    class="card quick-start"
                                    aria-labelledby="quick-start-heading"
                                >
                                    <h2 id="quick-start-heading">"Quick start"</h2>
                                    <p class="muted">{format!("{done} of {total} done.")}</p>
                                    {steps}
                                </section>
                            }
                                .into_any()
                        }
                    }
                    Err(e) => {
                        view! {
                            <section class="card quick-start" aria-labelledby="quick-start-heading">
                                <h2 id="quick-start-heading">"Quick start"</h2>
                                <LoadError
                                    message=e.message()
                                    on_retry=move || overview.refetch()
                                />
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Endpoints disabled after repeated failures, each linked to its page.
fn failing_banner(o: &OverviewOut) -> Option<impl IntoView + use<>> {
    (!o.failing_endpoints.is_empty()).then(|| {
        let links = o
            .failing_endpoints
            .iter()
            .map(|e| {
                let href = webhook_href(e.project_id.as_str(), e.webhook_id.as_str());
                let url = e.url.clone();
                view! {
                    <li>
                        <A href=href>{url}</A>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="banner banner-danger" role="alert">
                <strong>"Webhook endpoints disabled after repeated failures."</strong>
                " They get no new events until you fix them and enable them again:"
                <ul>{links}</ul>
            </div>
        }
    })
}

/// How many steps are done, of how many, and the steps.
fn checklist(o: OverviewOut) -> (usize, usize, impl IntoView) {
    let origin = window().location().origin().unwrap_or_default();
    let client_id = o
        .example
        .as_ref()
        .map(|e| e.client_id.to_string())
        .unwrap_or_else(|| "YOUR_CLIENT_ID".into());
    // Each runs as pasted, in order: the secret comes from the environment
    // (the .env file the credential's dialog saved), the token from the
    // first command's answer (sed, not jq: every shell has it).
    let token_command = format!(
        "# PORTAL_CLIENT_SECRET from {client_id}.env: set -a; . ./{client_id}.env; set +a\n\
         TOKEN=$(curl -s -X POST {origin}/v1/auth/token \\\n  -u \"{client_id}:$PORTAL_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\n\
         echo \"$TOKEN\""
    );
    let call_command = format!("curl -s {origin}/v1/whoami -H \"Authorization: Bearer $TOKEN\"");
    let credential_link = match o.example.clone() {
        Some(e) => view! {
            <p>
                "Your newest is " <MidTruncate value=e.client_id.to_string() /> " in "
                <A href=project_href(e.project_id.as_str())>{e.project_name}</A> "."
            </p>
        }
        .into_any(),
        None => view! {
            <p>
                "Open a project and press " <strong>"New credential"</strong>
                ". The secret is shown once: store it in your secrets manager."
            </p>
        }
        .into_any(),
    };
    // What works now: the server counts only credentials that still work,
    // so after the last one is revoked the checklist reopens at step 2 with
    // nothing after it ticked (a project's credentials go with it).
    let steps = [
        Step {
            title: "Create a project",
            done: o.projects > 0,
            body: view! {
                <p>
                    "A project holds the credentials and webhooks of one environment. "
                    <A href=Page::Projects.path()>"Go to projects"</A>
                </p>
            }
            .into_any(),
        },
        Step {
            title: "Create an API credential",
            done: o.credentials > 0,
            body: credential_link,
        },
        Step {
            title: "Get an access token",
            done: o.first_token_at.is_some(),
            body: view! { <CodeBlock text=token_command label="Copy the token command" /> }
                .into_any(),
        },
        Step {
            title: "Make your first call",
            done: o.first_call_at.is_some(),
            body: view! { <CodeBlock text=call_command label="Copy the whoami command" /> }
                .into_any(),
        },
    ];
    let done = steps.iter().filter(|s| s.done).count();
    let total = steps.len();
    let list = view! {
        <ol class="checklist">
            {steps
                .into_iter()
                .map(|s| {
                    let state = if s.done { "Done" } else { "To do" };
                    view! {
                        <li class:done=s.done>
                            <h3 class="small-heading">
                                <span class="check" aria-hidden="true">
                                    {if s.done { "✓" } else { "" }}
                                </span>
                                {s.title}
                                <span class="visually-hidden">{format!(" ({state})")}</span>
                            </h3>
                            {s.body}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    };
    (done, total, list)
}
