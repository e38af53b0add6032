//! Creating, rolling and revoking a credential. Each needs the user's PIN;
//! create and roll then show the secret once (see `secret_reveal`).

use leptos::prelude::*;
use portal_contract::credentials::{
    CredentialIn, CredentialOut, CredentialRevokeIn, CredentialRollIn, CredentialSecretOut,
    EXPIRY_DAYS, RollOverlap, Scope,
};

use super::secret_reveal::{ConfirmEarlyClose, SecretReveal};
use crate::api;
use crate::components::field::{PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::select::SelectField;
use crate::components::toast::use_toaster;
use crate::format;
use crate::pages::projects::ProductionWarning;

/// The state both create and roll share once the server answered: the
/// secret on screen, whether it was stored, and whether an early close is
/// being confirmed.
#[derive(Clone, Copy)]
struct Reveal {
    secret: RwSignal<Option<CredentialSecretOut>>,
    stored: RwSignal<bool>,
    confirming_close: RwSignal<bool>,
}

impl Reveal {
    fn new() -> Self {
        Self {
            secret: RwSignal::new(None),
            stored: RwSignal::new(false),
            confirming_close: RwSignal::new(false),
        }
    }

    /// Esc, ×, or the backdrop: before the secret is shown (or once it is
    /// stored) that closes; otherwise it asks first.
    fn request_close(&self, close: Callback<()>) -> impl Fn() + Copy + 'static {
        let this = *self;
        move || {
            if this.secret.with_untracked(Option::is_some) && !this.stored.get_untracked() {
                this.confirming_close.set(true);
            } else {
                this.close(close);
            }
        }
    }

    /// Drops the secret from memory, then closes (which removes it from the DOM).
    fn close(&self, close: Callback<()>) {
        self.secret.set(None);
        close.run(());
    }

    /// The reveal step, and a live region that is on the page before it, so
    /// screen readers hear that the secret is shown.
    fn view(&self, close: Callback<()>) -> impl IntoView + use<> {
        let this = *self;
        let announcement = move || {
            this.secret
                .with(Option::is_some)
                .then_some("The secret is shown below, once. Copy it now: it can't be shown again.")
        };
        let step = move || {
            this.secret.get().map(|secret| {
                view! {
                    <SecretReveal
                        secret=secret
                        stored=this.stored
                        on_done=move || this.close(close)
                    />
                    <Show when=move || this.confirming_close.get()>
                        <ConfirmEarlyClose
                            on_keep=move || this.confirming_close.set(false)
                            on_close=move || this.close(close)
                        />
                    </Show>
                }
            })
        };
        view! {
            <p class="visually-hidden" aria-live="polite">
                {announcement}
            </p>
            {step}
        }
    }
}

#[component]
pub fn CreateCredentialModal(
    project_id: String,
    /// Closes the modal.
    #[prop(into)]
    on_close: Callback<()>,
    /// The credential was created: the list reloads.
    #[prop(into)]
    on_done: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let description = RwSignal::new(String::new());
    let read = RwSignal::new(true);
    let write = RwSignal::new(false);
    let expiry = RwSignal::new("never".to_owned());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let reveal = Reveal::new();
    let request_close = reveal.request_close(on_close);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scopes = Scope::ALL
            .into_iter()
            .filter(|s| match s {
                Scope::Read => read.get_untracked(),
                Scope::Write => write.get_untracked(),
            })
            .collect();
        let input = CredentialIn {
            description: description.get_untracked(),
            scopes,
            expires_in_days: expiry.get_untracked().parse().ok(),
            pin: pin.get_untracked(),
        };
        let validation = input.validate();
        let project_id = project_id.clone();
        errors.submit(
            pending,
            validation,
            async move {
                let result = api::create_credential(&project_id, &input).await;
                if result.is_err() {
                    pin.set(String::new());
                }
                result
            },
            move |created| {
                pin.set(String::new());
                toaster.success(format!(
                    "Credential {} created.",
                    created.credential.description
                ));
                reveal.secret.set(Some(created));
                on_done.run(());
            },
        );
    };
    let expiry_options = std::iter::once(("never".to_owned(), "Never".to_owned()))
        .chain(EXPIRY_DAYS.map(|d| (d.to_string(), format!("In {d} days"))))
        .collect::<Vec<_>>();
    let title = Signal::derive(move || {
        if reveal.secret.with(Option::is_some) {
            "Store your new credential".to_owned()
        } else {
            "New credential".to_owned()
        }
    });

    view! {
        <Modal title=title on_close=move || request_close()>
            <Show when=move || reveal.secret.with(Option::is_none)>
                <form on:submit=on_submit.clone() novalidate>
                    <FormError message=errors.form() />
                    <TextField
                        label="Description"
                        required=true
                        name="description"
                        id="credential-description"
                        autocomplete="off"
                        hint="What uses it, so you know what breaks if you revoke it."
                        maxlength=100
                        value=description
                        error=errors.field("description")
                    />
                    <ScopeChoice read=read write=write error=errors.field("scopes") />
                    <SelectField
                        label="Expires"
                        id="credential-expiry"
                        value=expiry
                        options=expiry_options.clone()
                        error=errors.field("expires_in_days")
                    />
                    <PinField
                        label="Your security PIN"
                        name="pin"
                        hint="Creating a credential needs your PIN."
                        value=pin
                        error=errors.field("pin")
                    />
                    <ModalActions
                        on_cancel=on_close
                        pending=pending
                        submit="Create credential"
                        busy="Creating…"
                    />
                </form>
            </Show>
            {reveal.view(on_close)}
        </Modal>
    }
}

/// The scopes as checkboxes in a fieldset, with what each allows.
#[component]
fn ScopeChoice(
    read: RwSignal<bool>,
    write: RwSignal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some);
    view! {
        <fieldset
            class="field"
            class:field-invalid=invalid
            aria-describedby=move || invalid().then_some("scopes-error")
        >
            <legend>"Scopes"</legend>
            <div class="choices">
                {Scope::ALL
                    .into_iter()
                    .map(|scope| {
                        let checked = match scope {
                            Scope::Read => read,
                            Scope::Write => write,
                        };
                        view! {
                            <label class="choice">
                                <input
                                    type="checkbox"
                                    name="scopes"
                                    value=scope.as_str()
                                    aria-invalid=move || invalid().to_string()
                                    bind:checked=checked
                                />
                                <span class="choice-text">{scope.explanation()}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="field-error" id="scopes-error">
                                {e}
                            </p>
                        }
                    })
            }}
        </fieldset>
    }
}

#[component]
pub fn RollCredentialModal(
    credential: CredentialOut,
    /// The project is production: the dialog says so.
    #[prop(optional)]
    production: bool,
    #[prop(into)] on_close: Callback<()>,
    /// The secret was rolled: the list reloads.
    #[prop(into)]
    on_done: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let overlap = RwSignal::new(RollOverlap::OneDay.as_str().to_owned());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let reveal = Reveal::new();
    let request_close = reveal.request_close(on_close);
    let id = credential.id.to_string();
    let name = credential.description.clone();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = CredentialRollIn {
            overlap: overlap
                .get_untracked()
                .parse()
                .unwrap_or(RollOverlap::OneDay),
            pin: pin.get_untracked(),
        };
        let validation = input.validate();
        let id = id.clone();
        errors.submit(
            pending,
            validation,
            async move {
                let result = api::roll_credential(&id, &input).await;
                pin.set(String::new());
                result
            },
            move |rolled| {
                let old = rolled.credential.secrets.get(1).and_then(|s| s.expires_at);
                toaster.success(match old {
                    Some(until) => format!(
                        "The secret is rolled. The old one works until {}.",
                        format::date_time(until)
                    ),
                    None => "The secret is rolled. The old one no longer works.".to_owned(),
                });
                reveal.secret.set(Some(rolled));
                on_done.run(());
            },
        );
    };
    let options = RollOverlap::ALL
        .map(|o| (o.as_str().to_owned(), o.label().to_owned()))
        .to_vec();
    let title = Signal::derive(move || {
        if reveal.secret.with(Option::is_some) {
            "Store the new secret".to_owned()
        } else {
            format!("Roll the secret of {name}")
        }
    });

    view! {
        <Modal title=title on_close=move || request_close()>
            <Show when=move || reveal.secret.with(Option::is_none)>
                <form on:submit=on_submit.clone() novalidate>
                    <p>
                        "A new secret is made now. Keep the old one working long enough to deploy the new one everywhere."
                    </p>
                    {production
                        .then(|| {
                            view! {
                                <ProductionWarning text="Your live systems use this credential: deploy the new secret to them before the old one stops." />
                            }
                        })}
                    <FormError message=errors.form() />
                    <SelectField
                        label="The old secret keeps working for"
                        id="roll-overlap"
                        value=overlap
                        options=options.clone()
                    />
                    <PinField
                        label="Your security PIN"
                        name="pin"
                        value=pin
                        error=errors.field("pin")
                    />
                    <ModalActions
                        on_cancel=on_close
                        pending=pending
                        submit="Roll secret"
                        busy="Rolling…"
                    />
                </form>
            </Show>
            {reveal.view(on_close)}
        </Modal>
    }
}

#[component]
pub fn RevokeCredentialModal(
    credential: CredentialOut,
    /// The project is production: the dialog says so.
    #[prop(optional)]
    production: bool,
    #[prop(into)] on_close: Callback<()>,
    /// The credential was revoked: the list reloads.
    #[prop(into)]
    on_done: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let id = credential.id.to_string();
    let name = credential.description.clone();
    let on_submit = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let input = CredentialRevokeIn {
                pin: pin.get_untracked(),
            };
            let validation = input.validate();
            let (id, name) = (id.clone(), name.clone());
            errors.submit(
                pending,
                validation,
                async move {
                    let result = api::revoke_credential(&id, &input).await;
                    pin.set(String::new());
                    result
                },
                move |_| {
                    toaster.success(format!("Credential {name} revoked."));
                    on_done.run(());
                    on_close.run(());
                },
            );
        }
    };
    view! {
        <Modal title=format!("Revoke {name}?") on_close=on_close>
            <form on:submit=on_submit novalidate>
                <p>
                    "It gets no new tokens, and calls with tokens it already has are refused at once. This can't be undone."
                </p>
                {production
                    .then(|| {
                        view! {
                            <ProductionWarning text="Live traffic that uses this credential fails from now on." />
                        }
                    })}
                <FormError message=errors.form() />
                <PinField
                    label="Your security PIN"
                    name="pin"
                    value=pin
                    error=errors.field("pin")
                />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Revoke credential"
                    busy="Revoking…"
                    danger=true
                />
            </form>
        </Modal>
    }
}
