//! A labelled input with its hint and error, wired for screen readers
//! (`aria-invalid`, `aria-describedby`): the label (with a red asterisk when
//! the field is required), the input, the hint under it, then the error.

use leptos::prelude::*;

#[component]
pub fn TextField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The input's `name`, and the key of its message in `FieldErrors`.
    name: &'static str,
    /// The value, bound both ways.
    value: RwSignal<String>,
    /// The message shown under the field.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The input's `type`.
    #[prop(default = "text")]
    kind: &'static str,
    /// The element id; defaults to `name` (set it when a page has two forms
    /// with the same field name).
    #[prop(optional)]
    id: Option<&'static str>,
    /// The `autocomplete` hint for password managers and browsers.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// The `inputmode` (e.g. `numeric` for the PIN).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The most characters accepted.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// A line of help under the label (none when empty).
    #[prop(optional, into)]
    hint: Option<String>,
    /// Focus this field when the page opens.
    #[prop(optional)]
    autofocus: bool,
    /// Marked with an asterisk (drawn by the CSS, with no text of its own, so
    /// the label reads the same), and `required` for assistive technology
    /// (forms check their fields themselves: they are `novalidate`).
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let hint = hint.filter(|h| !h.is_empty());
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let has_hint = hint.is_some();
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id class:label-required=required>
                {label}
            </label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength
                autofocus=autofocus
                required=required
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described_by
                bind:value=value
            />
            {hint
                .map(|h| {
                    view! {
                        <p class="field-hint" id=hint_id>
                            {h}
                        </p>
                    }
                })}
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <p class="field-error" id=error_id.clone()>
                                {e}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A new password, with the rule in its hint.
#[component]
pub fn NewPasswordField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The input's `name`, and the key of its message in `FieldErrors`.
    name: &'static str,
    /// The value, bound both ways.
    value: RwSignal<String>,
    /// The message shown under the field.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <TextField
            label=label
            name=name
            kind="password"
            autocomplete="new-password"
            hint=format!(
                "At least {} characters. A few unrelated words work well.",
                portal_contract::validation::PASSWORD_MIN,
            )
            value=value
            error=error
            required=true
        />
    }
}

/// The rule a new PIN must follow (the contract's `new_pin`), told before
/// the form is sent.
pub const NEW_PIN_RULE: &str = "Six digits, not one digit repeated and not a run like 123456.";

/// A six-digit security PIN: hidden, with a numeric keypad on phones.
#[component]
pub fn PinField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The input's `name`, and the key of its message in `FieldErrors`.
    name: &'static str,
    /// The value, bound both ways.
    value: RwSignal<String>,
    /// The message shown under the field.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// A line of help under the label.
    #[prop(optional, into)]
    hint: Option<String>,
) -> impl IntoView {
    view! {
        <TextField
            label=label
            name=name
            kind="password"
            autocomplete="off"
            inputmode="numeric"
            maxlength=6
            hint=hint.unwrap_or_default()
            value=value
            error=error
            required=true
        />
    }
}
