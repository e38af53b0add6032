//! The project's Credentials tab: its API credentials with their status, and
//! creating, rolling and revoking them for those whose role may.

use leptos::prelude::*;
use portal_contract::Permission;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{CredentialOut, CredentialStatus};
use portal_contract::projects::{Environment, ProjectOut};

use super::credential_modals::{CreateCredentialModal, RevokeCredentialModal, RollCredentialModal};
use crate::api;
use crate::components::copy::IdWithCopy;
use crate::components::load_error::Listing;
use crate::components::menu::{ActionMenu, MenuItem};
use crate::components::table::DataTable;
use crate::components::text::Truncate;
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
    let production = project.with_untracked(|p| p.environment == Environment::Production);
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
    // Only a change reloads the list: a reload draws its rows anew, and a
    // row's menu opened meanwhile would go with them.
    let close = Callback::new(move |()| dialog.set(None));
    let done = Callback::new(move |()| version.update(|v| *v += 1));
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
                columns=5
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
                            columns=&["Credential", "Client id", "Secret", "Status", "Last used"]
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
                view! {
                    <CreateCredentialModal
                        project_id=project_id.clone()
                        on_close=close
                        on_done=done
                    />
                }
                    .into_any()
            }
            Some(Dialog::Roll(c)) => {
                view! {
                    <RollCredentialModal
                        credential=c
                        production=production
                        on_close=close
                        on_done=done
                    />
                }
                    .into_any()
            }
            Some(Dialog::Revoke(c)) => {
                view! {
                    <RevokeCredentialModal
                        credential=c
                        production=production
                        on_close=close
                        on_done=done
                    />
                }
                    .into_any()
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
    let c = credential;
    let working = matches!(
        c.status,
        CredentialStatus::Active | CredentialStatus::Expiring
    );
    let name = c.description.clone();
    // The newest secret; a rolled one's predecessor under it, muted, with
    // when it stops working (its hint in the title).
    let secrets = match c.secrets.split_first() {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some((newest, older)) => {
            let older = older
                .iter()
                .map(|s| {
                    let until = s.expires_at.map_or_else(
                        || "Old one still works".to_owned(),
                        |e| format!("Old one expires {}", format::relative(now, e)),
                    );
                    view! {
                        <span class="secret-hint sub" title=format!("{}…", s.hint)>
                            {until}
                        </span>
                    }
                })
                .collect_view();
            view! {
                <span class="secret-hint">
                    <code>{format!("{}…", newest.hint)}</code>
                </span>
                {older}
            }
            .into_any()
        }
    };
    let scopes = c
        .scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let created = match &c.created_by {
        Some(by) => format!("Created {} by {}", format::date(c.created_at), by.name),
        None => format!("Created {}", format::date(c.created_at)),
    };
    let detail = format!("{scopes} · {created}");
    // When it stopped or stops working, under its status.
    let status_note = match (c.revoked_at, c.expires_at) {
        (Some(at), _) => Some(format!("Revoked {}", format::relative(now, at))),
        (None, Some(at)) if at <= now => Some(format!("Expired {}", format::relative(now, at))),
        (None, Some(at)) => Some(format!("Expires {}", format::relative(now, at))),
        (None, None) => None,
    };
    let last_used = c
        .last_used_at
        .map(|t| format::relative(now, t))
        .unwrap_or_else(|| "Never".to_owned());
    let id = c.id.to_string();
    let actions = (may_manage && working).then(|| {
        let (roll, revoke) = (c.clone(), c.clone());
        view! {
            <ActionMenu
                label=format!("Actions for {name}")
                items=vec![
                    MenuItem::new("Roll secret", move || open.run(Dialog::Roll(roll.clone()))),
                    MenuItem::danger("Revoke", move || open.run(Dialog::Revoke(revoke.clone()))),
                ]
            />
        }
    });
    view! {
        <tr class:inactive=!working>
            <th scope="row">
                <div class="cell-wide">
                    <Truncate text=c.description.clone() />
                    <span class="sub truncate" title=detail.clone()>
                        {detail.clone()}
                    </span>
                </div>
            </th>
            <td data-label="Client id">
                <div class="cell-id">
                    <IdWithCopy value=id label=format!("Copy the client id of {}", c.description) />
                </div>
            </td>
            <td data-label="Secret">
                <div>{secrets}</div>
            </td>
            <td data-label="Status">
                <div>
                    <span class=format!(
                        "badge badge-dot badge-{}",
                        status_class(c.status),
                    )>{c.status.label()}</span>
                    {status_note.map(|n| view! { <span class="sub">{n}</span> })}
                </div>
            </td>
            <td data-label="Last used">{last_used}</td>
            {may_manage.then(|| view! { <td class="actions">{actions}</td> })}
        </tr>
    }
}

fn status_class(status: CredentialStatus) -> &'static str {
    match status {
        CredentialStatus::Active => "success",
        CredentialStatus::Expiring => "warning",
        CredentialStatus::Expired => "neutral",
        CredentialStatus::Revoked => "danger",
    }
}
