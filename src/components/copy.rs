//! Copying to the clipboard: a button that says "Copied" for a moment, a
//! block of code with one, and saving text as a file.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::components::text::MidTruncate;

/// How long the button says "Copied".
const COPIED_MS: u64 = 2000;

/// Copies `text` when pressed. `label` names what is copied for screen
/// readers ("Copy client secret").
#[component]
pub fn CopyButton(
    /// What the button copies.
    #[prop(into)]
    text: Signal<String>,
    /// The accessible name, e.g. "Copy client id".
    #[prop(into)]
    label: String,
    /// A smaller button, beside a value in a table row.
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let on_click = move |_| {
        let text = text.get_untracked();
        leptos::task::spawn_local(async move {
            let ok = write_clipboard(&text).await;
            copied.set(Some(ok));
            set_timeout(
                move || {
                    let _ = copied.try_set(None);
                },
                std::time::Duration::from_millis(COPIED_MS),
            );
        });
    };
    view! {
        <button
            type="button"
            class="button button-small copy"
            class:copy-icon=compact
            aria-label=label
            on:click=on_click
        >
            {move || match copied.get() {
                None => "Copy",
                Some(true) => "Copied",
                Some(false) => "Press Ctrl+C",
            }}
        </button>
        <span class="visually-hidden" aria-live="polite">
            {move || match copied.get() {
                Some(true) => "Copied to the clipboard.",
                Some(false) => "The browser refused the clipboard; select the text and copy it.",
                None => "",
            }}
        </span>
    }
}

/// One term of a `<dl>`: a label, and a value shown as code with its copy
/// button ("Copy client secret"). `id` names the label and the value's test id.
#[component]
pub fn CopyableValue(
    /// The label, e.g. "Client secret".
    label: &'static str,
    /// The label's element id; the value is `data-testid` the same.
    id: &'static str,
    value: String,
) -> impl IntoView {
    let label_id = format!("{id}-label");
    // The value is focusable: a long secret scrolls sideways, by keyboard too.
    view! {
        <dt id=label_id.clone()>{label}</dt>
        <dd>
            <code aria-labelledby=label_id data-testid=id tabindex="0">
                {value.clone()}
            </code>
            <CopyButton text=value label=format!("Copy {}", label.to_lowercase()) />
        </dd>
    }
}

/// An identifier in a table cell: truncated in the middle when the column
/// is narrow, with a compact button that copies the whole of it.
#[component]
pub fn IdWithCopy(
    /// The identifier.
    value: String,
    /// The copy button's accessible name, e.g. "Copy the client id of Checkout backend".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="inline-copy">
            <MidTruncate value=value.clone() />
            <CopyButton text=value label=label compact=true />
        </div>
    }
}

/// `text` as a code block with a copy button.
#[component]
pub fn CodeBlock(
    /// The code.
    #[prop(into)]
    text: Signal<String>,
    /// The copy button's accessible name.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="code-block">
            <pre tabindex="0">
                <code>{move || text.get()}</code>
            </pre>
            <CopyButton text=text label=label />
        </div>
    }
}

async fn write_clipboard(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Offers `contents` as a download named `file_name`, without a request:
/// the data goes from memory to the user's disk.
pub fn save_file(file_name: &str, contents: &str) {
    let parts = js_sys::Array::of1(&contents.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    // Revoked a moment later: the download reads the URL after the click.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(1),
    );
}
