//! The invite modal: an email and a role the inviter may grant, each role
//! with what it may do; inviting an admin or superadmin asks for the
//! inviter's PIN.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use portal_contract::Role;
use portal_contract::team::InvitationIn;

use super::role_choice::RoleChoice;
use crate::api;
use crate::components::field::{PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::toast::use_toaster;
use crate::routes::Page;

#[component]
pub fn InviteModal(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_sent: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Developer.as_str().to_owned());
    let pin = RwSignal::new(String::new());
    let needs_pin = move || role.with(|r| r.parse::<Role>().is_ok_and(Role::grant_needs_pin));
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(chosen) = role.get_untracked().parse::<Role>() else {
            return;
        };
        let input = InvitationIn {
            email: email.get_untracked().trim().to_owned(),
            role: chosen,
            pin: chosen.grant_needs_pin().then(|| pin.get_untracked()),
        };
        let validation = input.validate();
        let navigate = navigate.clone();
        errors.submit(
            pending,
            validation,
            async move {
                let answer = api::invite(&input).await;
                if answer.is_err() {
                    // A PIN is typed again after any refusal, as elsewhere.
                    pin.set(String::new());
                }
                answer
            },
            move |invitation| {
                toaster.success(format!("Invitation sent to {}.", invitation.email));
                on_sent.run(());
                on_close.run(());
                navigate(
                    &format!("{}?tab=invitations", Page::Team.path()),
                    Default::default(),
                );
            },
        );
    };

    view! {
        <Modal title="Invite a member" on_close=on_close>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <TextField
                    label="Email"
                    required=true
                    name="email"
                    id="invite-email"
                    kind="email"
                    autocomplete="off"
                    value=email
                    error=errors.field("email")
                />
                <RoleChoice legend="Role" id="invite-role" value=role error=errors.field("role") />
                <Show when=needs_pin>
                    <PinField
                        label="Your security PIN"
                        name="pin"
                        hint="Inviting an admin or superadmin needs your PIN."
                        value=pin
                        error=errors.field("pin")
                    />
                </Show>
                <p class="muted">
                    "They get a link by mail that works for 7 days. Opening it asks them for a name, password and PIN."
                </p>
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Send invitation"
                    busy="Sending…"
                />
            </form>
        </Modal>
    }
}
