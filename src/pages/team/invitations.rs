//! The Invitations tab: every invitation with its status; resend and revoke.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_contract::Permission;
use portal_contract::team::{InvitationOut, InvitationResendIn, InvitationStatus};

use super::resend_modal::ResendModal;
use crate::api;
use crate::components::load_error::LoadError;
use crate::components::menu::{ActionMenu, MenuItem};
use crate::components::modal::Modal;
use crate::components::progress::track_progress;
use crate::components::table::{DataTable, SkeletonTable};
use crate::components::text::Truncate;
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
    // An admin's or superadmin's invitation, waiting for the sender's PIN.
    let resending = RwSignal::new(None::<InvitationOut>);
    let busy = RwSignal::new(false);
    let invitations = LocalResource::new(move || {
        version.track();
        async move { api::invitations().await }
    });

    let resend = move |invitation: InvitationOut| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result =
                api::resend_invitation(invitation.id.as_str(), &InvitationResendIn::default())
                    .await;
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
                    toaster.success(format!("Invitation to {} revoked.", i.email));
                    version.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.message()),
            }
        });
    };

    view! {
        <Transition
            fallback=|| view! { <SkeletonTable label="Loading invitations…" columns=3 /> }
            set_pending=track_progress()
        >
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
                                let sent = format!(
                                    "Sent {} by {}",
                                    format::date(i.created_at),
                                    i.invited_by,
                                );
                                let actions = open
                                    .then(|| {
                                        let (a, b) = (i.clone(), i.clone());
                                        view! {
                                            <ActionMenu
                                                label=format!("Actions for the invitation to {}", i.email)
                                                items=vec![
                                                    MenuItem::new(
                                                        "Resend",
                                                        move || {
                                                            if a.role.grant_needs_pin() {
                                                                resending.set(Some(a.clone()));
                                                            } else {
                                                                resend(a.clone());
                                                            }
                                                        },
                                                    ),
                                                    MenuItem::danger(
                                                        "Revoke",
                                                        move || revoking.set(Some(b.clone())),
                                                    ),
                                                ]
                                            />
                                        }
                                    });
                                view! {
                                    <tr>
                                        <th scope="row">
                                            <div class="cell-wide">
                                                <Truncate text=i.email.clone() />
                                                <span class="sub truncate" title=sent.clone()>
                                                    {sent.clone()}
                                                </span>
                                            </div>
                                        </th>
                                        <td data-label="Role">{i.role.label()}</td>
                                        <td data-label="Status">
                                            <div>
                                                <span class=format!(
                                                    "badge badge-dot badge-{}",
                                                    i.status.as_str(),
                                                )>{i.status.label()}</span>
                                                <span class="sub">{when}</span>
                                            </div>
                                        </td>
                                        {may_manage()
                                            .then(|| view! { <td class="actions">{actions}</td> })}
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <DataTable
                                caption="Invitations"
                                columns=&["Invitation", "Role", "Status"]
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
            resending
                .get()
                .map(|i| {
                    view! {
                        <ResendModal
                            invitation=i
                            on_close=move || resending.set(None)
                            on_sent=move || version.update(|v| *v += 1)
                        />
                    }
                })
        }}
        {move || {
            revoking
                .get()
                .map(|i| {
                    let target = i.clone();
                    view! {
                        <Modal title="Revoke this invitation?" on_close=move || revoking.set(None)>
                            <p>
                                "The link sent to "
                                <strong class="truncate-inline" title=i.email.clone()>
                                    {i.email.clone()}
                                </strong> " stops working. You can invite them again later."
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
