//! A form's error state: messages by field (from the contract's validation or
//! the server's 422) and one message for the form as a whole.

use std::future::Future;

use leptos::prelude::*;
use portal_contract::FieldErrors;

use crate::api;

#[derive(Clone, Copy)]
pub struct FormErrors {
    fields: RwSignal<FieldErrors>,
    form: RwSignal<Option<String>>,
}

impl Default for FormErrors {
    fn default() -> Self {
        Self::new()
    }
}

impl FormErrors {
    pub fn new() -> Self {
        Self {
            fields: RwSignal::new(FieldErrors::new()),
            form: RwSignal::new(None),
        }
    }

    /// The message for `field`, reactive.
    pub fn field(&self, field: &'static str) -> Signal<Option<String>> {
        let fields = self.fields;
        Signal::derive(move || fields.with(|f| f.get(field).map(str::to_owned)))
    }

    /// The message for the form as a whole, reactive.
    pub fn form(&self) -> Signal<Option<String>> {
        self.form.into()
    }

    pub fn clear(&self) {
        self.fields.set(FieldErrors::new());
        self.form.set(None);
    }

    /// Shows the contract's validation result; true when the input is valid.
    pub fn check(&self, result: Result<(), FieldErrors>) -> bool {
        match result {
            Ok(()) => {
                self.clear();
                true
            }
            Err(errors) => {
                self.fields.set(errors);
                self.form.set(None);
                focus_first_invalid();
                false
            }
        }
    }

    /// Sends a form the way every form does: a second submit while one is
    /// running is ignored; the contract's `validation` shows by the field
    /// without calling the server; `pending` is true while `call` runs; a
    /// failure shows by the field or above the form. `done` gets the answer.
    pub fn submit<T: 'static>(
        &self,
        pending: RwSignal<bool>,
        validation: Result<(), FieldErrors>,
        call: impl Future<Output = Result<T, api::Error>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if pending.get_untracked() || !self.check(validation) {
            return;
        }
        pending.set(true);
        let errors = *self;
        leptos::task::spawn_local(async move {
            let result = call.await;
            pending.set(false);
            match result {
                Ok(answer) => done(answer),
                Err(e) => errors.show(&e),
            }
        });
    }

    /// Shows a failed call: field messages by their fields, anything else
    /// above the form.
    pub fn show(&self, error: &api::Error) {
        match error.fields() {
            Some(fields) if !fields.0.is_empty() => {
                self.fields.set(fields);
                self.form.set(None);
                focus_first_invalid();
            }
            _ => {
                self.fields.set(FieldErrors::new());
                self.form.set(Some(error.message()));
            }
        }
    }
}

/// Moves focus to the first field marked invalid, once the DOM shows it.
fn focus_first_invalid() {
    request_animation_frame(|| {
        use leptos::wasm_bindgen::JsCast;
        let element = document()
            .query_selector("[aria-invalid=\"true\"]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}

/// The form-level message, announced as an alert.
#[component]
pub fn FormError(
    /// The message; nothing is rendered while it is `None`.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <p class="form-error" role="alert">
                    {m}
                </p>
            }
        })
    }
}
