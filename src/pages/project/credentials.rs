//! The project's Credentials tab: its API credentials with their status, and
//! creating, rolling and revoking them for those whose role may.

use leptos::prelude::*;
use portal_contract::Permission;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{CredentialOut, CredentialStatus};
use portal_contract::projects::ProjectOut;

use super::credential_modals::{CreateCredentialModal, RevokeCredentialModal, RollCredentialModal};
use crate::api;
use crate::components::copy::CopyButton;
use crate::components::load_error::Listing;
use crate::components::table::DataTable;
use crate::format;
use crate::session::use_session;

#[derive(Clone)]
enum Dialog {
    Create,
    Roll(CredentialOut),
    Revoke(CredentialOut),
}

#[component]
pub fn CredentialsTab(project: RwSignal<ProjectOut>) -> impl IntoView {
    let session = use_session();
    let may_manage = session.can(Permission::ManageCredentialsAndWebhooks);
    let approved = session.0.with_untracked(|s| {
        s.as_ref()
            .is_some_and(|s| s.organisation.status == OrganisationStatus::Approved)
    });
    let project_id = project.with_untracked(|p| p.id.to_string());
    // Bumped after a change, so the list reloads.
    let version = RwSignal::new(0u32);
    let credentials = LocalResource::new({
        let project_id = project_id.clone();
        move || {
            version.track();
            let id = project_id.clone();
            async move { api::credentials(&id).await }
        }
    });
    let dialog = RwSignal::new(None::<Dialog>);
    let close = Callback::new(move |()| {
        dialog.set(None);
        version.update(|v| *v += 1);
    });
    let open = Callback::new(move |d: Dialog| dialog.set(Some(d)));

    view! {
        <section aria-labelledby="credentials-heading">
            <div class="section-header">
                <div>
                    <h2 id="credentials-heading">"API credentials"</h2>
                    <p class="muted">
                        "Your backend exchanges a client id and secret for an access token that lasts 30 minutes, at "
                        <code>"POST /v1/auth/token"</code> "."
                    </p>
                </div>
                {may_manage
                    .then(|| {
                        view! {
                            <div class="section-action">
                                <button
                                    type="button"
                                    class="button button-primary"
                                    aria-disabled=(!approved).to_string()
                                    aria-describedby=(!approved).then_some("approval-note")
                                    on:click=move |_| {
                                        if approved {
                                            dialog.set(Some(Dialog::Create));
                                        }
                                    }
                                >
                                    "New credential"
                                </button>
                                {(!approved)
                                    .then(|| {
                                        view! {
                                            <p class="field-hint" id="approval-note">
                                                "Credentials can be created once the platform approves your organisation."
                                            </p>
                                        }
                                    })}
                            </div>
                        }
                    })}
            </div>
            <Listing
                list=credentials
                loading="Loading credentials…"
                empty="No credentials yet. Create one for each backend that calls the API, so each can be rolled or revoked on its own."
                is_empty=|list| list.items.is_empty()
                rows=move |list| {
                    let rows = list
                        .items
                        .into_iter()
                        .map(|c| {
                            view! { <CredentialRow credential=c may_manage=may_manage open=open /> }
                        })
                        .collect_view();
                    view! {
                        <DataTable
                            caption="API credentials"
                            columns=&[
                                "Description",
                                "Client id",
                                "Secret",
                                "Scopes",
                                "Created",
                                "Expires",
                                "Last used",
                                "Status",
                            ]
                            actions=may_manage
                        >
                            {rows}
                        </DataTable>
                    }
                }
            />
        </section>
        {move || match dialog.get() {
            None => ().into_any(),
            Some(Dialog::Create) => {
                view! { <CreateCredentialModal project_id=project_id.clone() on_close=close /> }
                    .into_any()
            }
            Some(Dialog::Roll(c)) => {
                view! { <RollCredentialModal credential=c on_close=close /> }.into_any()
            }
            Some(Dialog::Revoke(c)) => {
                view! { <RevokeCredentialModal credential=c on_close=close /> }.into_any()
            }
        }}
    }
}

#[component]
fn CredentialRow(
    credential: CredentialOut,
    may_manage: bool,
    open: Callback<Dialog>,
) -> impl IntoView {
    let now = format::now();
    let c = credential.clone();
    let working = matches!(
        c.status,
        CredentialStatus::Active | CredentialStatus::Expiring
    );
    let secrets = if c.secrets.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        c.secrets
            .iter()
            .map(|s| {
                let until = s.expires_at.map(|e| {
                    view! {
                        <span class="muted small">
                            "Expires " {format::date_time(e)} " (" {format::relative(now, e)} ")"
                        </span>
                    }
                });
                view! {
                    <div class="secret-hint">
                        <code>{format!("{}…", s.hint)}</code>
                        {until}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let scopes = c
        .scopes
        .iter()
        .map(|s| view! { <span class="badge">{s.as_str()}</span> })
        .collect_view();
    let expires = match c.expires_at {
        None => view! { "Never" }.into_any(),
        Some(e) => view! {
            <div>{format::date(e)}</div>
            <div class="muted">{format::relative(now, e)}</div>
        }
        .into_any(),
    };
    let last_used = c
        .last_used_at
        .map(|t| format::relative(now, t))
        .unwrap_or_else(|| "Never".to_owned());
    let created_by = c.created_by.as_ref().map(|u| u.name.clone());
    let id = c.id.to_string();
    let actions = (may_manage && working).then(|| {
        let (roll, revoke) = (credential.clone(), credential.clone());
        let name = c.description.clone();
        view! {
            <div class="row-actions">
                <button
                    type="button"
                    class="button button-small"
                    aria-label=format!("Roll the secret of {name}")
                    on:click=move |_| open.run(Dialog::Roll(roll.clone()))
                >
                    "Roll"
                </button>
                <button
                    type="button"
                    class="button button-small button-danger"
                    aria-label=format!("Revoke {name}")
                    on:click=move |_| open.run(Dialog::Revoke(revoke.clone()))
                >
                    "Revoke"
                </button>
            </div>
        }
    });
    view! {
        <tr class:inactive=!working>
            <th scope="row" class="wrap">
                {c.description.clone()}
            </th>
            <td>
                <div class="inline-copy">
                    <code>{id.clone()}</code>
                    <CopyButton text=id label=format!("Copy the client id of {}", c.description) />
                </div>
            </td>
            <td>{secrets}</td>
            <td>{scopes}</td>
            <td>
                {created_by.map(|n| view! { <div>{n}</div> })}
                <div class="muted">{format::date(c.created_at)}</div>
            </td>
            <td>{expires}</td>
            <td>{last_used}</td>
            <td>
                <span class=format!(
                    "badge badge-{}",
                    status_class(c.status),
                )>{c.status.label()}</span>
            </td>
            {may_manage.then(|| view! { <td>{actions}</td> })}
        </tr>
    }
}

fn status_class(status: CredentialStatus) -> &'static str {
    match status {
        CredentialStatus::Active => "approved",
        CredentialStatus::Expiring => "pending",
        CredentialStatus::Expired | CredentialStatus::Revoked => "suspended",
    }
}
