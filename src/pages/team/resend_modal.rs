//! Sending an admin's or superadmin's invitation again: a new link to an
//! elevated role is an invitation as much as the first, so it asks for the
//! sender's PIN as the invite modal does.

use leptos::prelude::*;
use portal_contract::team::{InvitationOut, InvitationResendIn};

use crate::api;
use crate::components::field::PinField;
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::toast::use_toaster;

#[component]
pub fn ResendModal(
    invitation: InvitationOut,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_sent: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let role = invitation.role;
    let id = invitation.id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = InvitationResendIn {
            pin: Some(pin.get_untracked()),
        };
        let validation = input.validate(role);
        let id = id.clone();
        errors.submit(
            pending,
            validation,
            async move {
                let answer = api::resend_invitation(id.as_str(), &input).await;
                if answer.is_err() {
                    // A PIN is typed again after any refusal, as elsewhere.
                    pin.set(String::new());
                }
                answer
            },
            move |sent| {
                toaster.success(format!("A new link is on its way to {}.", sent.email));
                on_sent.run(());
                on_close.run(());
            },
        );
    };
    view! {
        <Modal title="Send a new link?" on_close=on_close>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <p>
                    "The link sent to "
                    <strong class="truncate-inline" title=invitation.email.clone()>
                        {invitation.email.clone()}
                    </strong> " stops working and a new one, valid for another week, goes out."
                </p>
                <PinField
                    label="Your security PIN"
                    name="pin"
                    hint="Inviting an admin or superadmin needs your PIN."
                    value=pin
                    error=errors.field("pin")
                />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Send a new link"
                    busy="Sending…"
                />
            </form>
        </Modal>
    }
}
