//! Changing a member's role, or deactivating / reactivating them: confirmed,
//! and protected by the acting user's PIN.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_contract::team::{MemberOut, MemberPatch, MemberStatus};

use crate::api;
use crate::components::field::PinField;
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::toast::use_toaster;
use crate::session::use_session;

use super::role_choice::RoleChoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAction {
    ChangeRole,
    Deactivate,
    Reactivate,
}

#[component]
pub fn MemberModal(
    member: MemberOut,
    action: MemberAction,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toaster = use_toaster();
    let role = RwSignal::new(member.role.as_str().to_owned());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let name = member.full_name.clone();
    let destructive = action == MemberAction::Deactivate;

    let (title, submit_label, explanation) = match action {
        MemberAction::ChangeRole => (
            format!("Change the role of {name}"),
            "Change role",
            "The new role applies to their next request.".to_owned(),
        ),
        MemberAction::Deactivate => (
            format!("Deactivate {name}?"),
            "Deactivate",
            format!("{name} is signed out at once and can't sign in until reactivated."),
        ),
        MemberAction::Reactivate => (
            format!("Reactivate {name}?"),
            "Reactivate",
            format!("{name} can sign in again with their password."),
        ),
    };

    let on_submit = {
        let member = member.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let patch = MemberPatch {
                role: (action == MemberAction::ChangeRole)
                    .then(|| role.get_untracked().parse().ok())
                    .flatten(),
                status: match action {
                    MemberAction::ChangeRole => None,
                    MemberAction::Deactivate => Some(MemberStatus::Deactivated),
                    MemberAction::Reactivate => Some(MemberStatus::Active),
                },
                pin: pin.get_untracked(),
            };
            if !errors.check(patch.validate()) {
                return;
            }
            pending.set(true);
            let id = member.id.to_string();
            spawn_local(async move {
                let result = api::update_member(&id, &patch).await;
                pending.set(false);
                match result {
                    Ok(m) => {
                        let message = match action {
                            MemberAction::ChangeRole => {
                                format!("{} is now {}.", m.full_name, m.role.label().to_lowercase())
                            }
                            MemberAction::Deactivate => format!("{} is deactivated.", m.full_name),
                            MemberAction::Reactivate => format!("{} is active again.", m.full_name),
                        };
                        // Changing your own role changes what the portal offers you.
                        if session
                            .0
                            .with_untracked(|s| s.as_ref().is_some_and(|s| s.user.id == m.id))
                            && let Ok(fresh) = api::session().await
                        {
                            session.0.set(Some(fresh));
                        }
                        toaster.success(message);
                        on_done.run(());
                    }
                    Err(e) => {
                        pin.set(String::new());
                        errors.show(&e);
                    }
                }
            });
        }
    };

    view! {
        <Modal title=title on_close=on_close>
            <form on:submit=on_submit novalidate>
                <p>{explanation}</p>
                <FormError message=errors.form() />
                {(action == MemberAction::ChangeRole)
                    .then(|| {
                        view! {
                            <RoleChoice
                                legend="New role"
                                id="member-new-role"
                                value=role
                                error=errors.field("role")
                            />
                        }
                    })}
                <PinField
                    label="Your security PIN"
                    name="pin"
                    value=pin
                    error=errors.field("pin")
                />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit=submit_label
                    busy="Saving…"
                    danger=destructive
                />
            </form>
        </Modal>
    }
}
