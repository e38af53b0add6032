//! A labelled `<select>` bound to a string signal.

use leptos::prelude::*;

#[component]
pub fn SelectField(
    /// The visible label.
    #[prop(into)]
    label: String,
    /// The element id and name.
    id: &'static str,
    /// The selected option's value, bound both ways.
    value: RwSignal<String>,
    /// `(value, label)` pairs, in order; they may change while shown.
    #[prop(into)]
    options: Signal<Vec<(String, String)>>,
    /// The message shown under the field.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            <select
                id=id
                name=id
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby={
                    let error_id = error_id.clone();
                    move || error.with(Option::is_some).then(|| error_id.clone())
                }
                on:change=move |ev| value.set(event_target_value(&ev))
                prop:value=move || value.get()
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(v, l)| {
                            let selected = v == value.get_untracked();
                            view! {
                                <option value=v selected=selected>
                                    {l}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
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
