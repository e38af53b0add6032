//! The Invitations tab: every invitation with its status; resend and revoke.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_contract::Permission;
use portal_contract::team::{InvitationOut, InvitationStatus};

use crate::api;
use crate::components::load_error::LoadError;
use crate::components::modal::Modal;
use crate::components::table::DataTable;
use crate::components::toast::use_toaster;
use crate::format;
use crate::session::use_session;

#[component]
pub fn InvitationsTab(
    /// Bumped by the page when an invitation is sent.
    version: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let toaster = use_toaster();
    let may_manage = move || session.can(Permission::ManageTeam);
    let revoking = RwSignal::new(None::<InvitationOut>);
    let busy = RwSignal::new(false);
    let invitations = LocalResource::new(move || {
        version.track();
        async move { api::invitations().await }
    });

    let resend = move |invitation: InvitationOut| {
        busy.set(true);
        spawn_local(async move {
            let result = api::resend_invitation(invitation.id.as_str()).await;
            busy.set(false);
            match result {
                Ok(i) => {
                    toaster.success(format!("A new link is on its way to {}.", i.email));
                    version.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.message()),
            }
        });
    };
    let revoke = move |invitation: InvitationOut| {
        busy.set(true);
        spawn_local(async move {
            let result = api::revoke_invitation(invitation.id.as_str()).await;
            busy.set(false);
            revoking.set(None);
            match result {
                Ok(i) => {
                    toaster.success(format!("The invitation to {} is revoked.", i.email));
                    version.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.message()),
            }
        });
    };

    view! {
        <Transition fallback=|| {
            view! { <p class="loading">"Loading invitations…"</p> }
        }>
            {move || Suspend::new(async move {
                match invitations.await {
                    Err(e) => {
                        view! {
                            <LoadError message=e.message() on_retry=move || invitations.refetch() />
                        }
                            .into_any()
                    }
                    Ok(list) if list.items.is_empty() => {
                        view! {
                            <div class="empty">
                                <p>"No invitations yet."</p>
                                {may_manage()
                                    .then_some(
                                        "Invite your team with the Invite member button: each person gets a link by mail.",
                                    )}
                            </div>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let now = format::now();
                        let rows = list
                            .items
                            .into_iter()
                            .map(|i| {
                                let open = matches!(
                                    i.status,
                                    InvitationStatus::Pending | InvitationStatus::Expired
                                ) && session.may_manage(i.role);
                                let when = match i.status {
                                    InvitationStatus::Accepted => {
                                        format!(
                                            "Accepted {}",
                                            format::relative(now, i.accepted_at.unwrap_or(now)),
                                        )
                                    }
                                    InvitationStatus::Revoked => {
                                        format!(
                                            "Revoked {}",
                                            format::relative(now, i.revoked_at.unwrap_or(now)),
                                        )
                                    }
                                    InvitationStatus::Expired => {
                                        format!("Expired {}", format::relative(now, i.expires_at))
                                    }
                                    InvitationStatus::Pending => {
                                        format!("Expires {}", format::relative(now, i.expires_at))
                                    }
                                };
                                let (for_resend, for_revoke) = (i.clone(), i.clone());
                                view! {
                                    <tr>
                                        <th scope="row" class="wrap">
                                            {i.email.clone()}
                                        </th>
                                        <td>{i.role.label()}</td>
                                        <td>
                                            <span class=format!(
                                                "badge badge-{}",
                                                i.status.as_str(),
                                            )>{i.status.label()}</span>
                                        </td>
                                        <td>{i.invited_by.clone()}</td>
                                        <td>{format::date(i.created_at)}</td>
                                        <td>{when}</td>
                                        {may_manage()
                                            .then(|| {
                                                view! {
                                                    <td class="actions">
                                                        {open
                                                            .then(|| {
                                                                let (a, b) = (for_resend.clone(), for_revoke.clone());
                                                                view! {
                                                                    <button
                                                                        type="button"
                                                                        class="button button-small"
                                                                        aria-label=format!("Resend the invitation to {}", a.email)
                                                                        disabled=move || busy.get()
                                                                        on:click=move |_| resend(a.clone())
                                                                    >
                                                                        "Resend"
                                                                    </button>
                                                                    <button
                                                                        type="button"
                                                                        class="button button-small"
                                                                        aria-label=format!("Revoke the invitation to {}", b.email)
                                                                        on:click=move |_| revoking.set(Some(b.clone()))
                                                                    >
                                                                        "Revoke"
                                                                    </button>
                                                                }
                                                            })}
                                                    </td>
                                                }
                                            })}
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <DataTable
                                caption="Invitations"
                                columns=&["Email", "Role", "Status", "Invited by", "Sent", "Expiry"]
                                actions=may_manage()
                            >
                                {rows}
                            </DataTable>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        {move || {
            revoking
                .get()
                .map(|i| {
                    let target = i.clone();
                    view! {
                        <Modal title="Revoke this invitation?" on_close=move || revoking.set(None)>
                            <p>
                                "The link sent to " <strong>{i.email.clone()}</strong>
                                " stops working. You can invite them again later."
                            </p>
                            <div class="modal-actions">
                                <button
                                    type="button"
                                    class="button"
                                    on:click=move |_| revoking.set(None)
                                >
                                    "Cancel"
                                </button>
                                <button
                                    type="button"
                                    class="button button-danger"
                                    disabled=move || busy.get()
                                    on:click=move |_| revoke(target.clone())
                                >
                                    "Revoke invitation"
                                </button>
                            </div>
                        </Modal>
                    }
                })
        }}
    }
}
