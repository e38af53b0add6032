//! `/team`: the Members and Invitations tabs, and the invite button for those
//! who may invite.

mod invitations;
mod invite_modal;
mod member_modal;
mod members;
mod resend_modal;
pub mod role_choice;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use portal_contract::Permission;

use crate::routes::Page;
use crate::session::use_session;

use invitations::InvitationsTab;
use invite_modal::InviteModal;
use members::MembersTab;

#[component]
pub fn TeamPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let on_invitations = move || query.with(|q| q.get("tab").as_deref() == Some("invitations"));
    let may_invite = move || session.can(Permission::ManageTeam);
    let inviting = RwSignal::new(false);
    // Bumped when an invitation is sent, so the Invitations tab reloads.
    let invitations_version = RwSignal::new(0u32);
    let invitations_href = format!("{}?tab=invitations", Page::Team.path());

    view! {
        <div class="page-header">
            <h1>"Team"</h1>
            <Show when=may_invite>
                <button
                    type="button"
                    class="button button-primary"
                    on:click=move |_| inviting.set(true)
                >
                    "Invite member"
                </button>
            </Show>
        </div>
        <nav class="tabs" aria-label="Team">
            <A href=Page::Team.path() exact=true>
                <span aria-current=move || (!on_invitations()).then_some("page")>"Members"</span>
            </A>
            <A href=invitations_href>
                <span aria-current=move || on_invitations().then_some("page")>"Invitations"</span>
            </A>
        </nav>
        {move || {
            if on_invitations() {
                view! { <InvitationsTab version=invitations_version /> }.into_any()
            } else {
                view! { <MembersTab /> }.into_any()
            }
        }}
        <Show when=move || inviting.get()>
            <InviteModal
                on_close=move || inviting.set(false)
                on_sent=move || invitations_version.update(|v| *v += 1)
            />
        </Show>
    }
}
