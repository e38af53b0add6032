//! The one time a credential's secret is on screen: copy it, download it as
//! a `.env` file, or copy a ready `curl`; then tick "I have stored the secret"
//! to finish. The secret lives only in the modal's memory and DOM, and both
//! go when it closes.

use leptos::prelude::*;
use portal_contract::credentials::CredentialSecretOut;

use crate::components::copy::{CodeBlock, CopyableValue, save_file};
use crate::components::modal::focus_when_shown;

/// The reveal step's heading, where focus goes when the secret appears.
pub const REVEAL_HEADING: &str = "reveal-heading";

/// The token endpoint on this portal.
pub fn token_url() -> String {
    let origin = window().location().origin().unwrap_or_default();
    format!("{origin}/v1/auth/token")
}

/// A `curl` that exchanges the credential for an access token.
pub fn token_curl(client_id: &str, client_secret: &str) -> String {
    format!(
        "curl -s -X POST {} \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"grant_type\": \"client_credentials\", \"client_id\": \"{client_id}\", \"client_secret\": \"{client_secret}\"}}'",
        token_url()
    )
}

/// The `.env` lines a backend reads its credential from.
pub fn env_file(client_id: &str, client_secret: &str) -> String {
    format!(
        "PORTAL_TOKEN_URL={}\nPORTAL_CLIENT_ID={client_id}\nPORTAL_CLIENT_SECRET={client_secret}\n",
        token_url()
    )
}

#[component]
pub fn SecretReveal(
    /// The create or roll answer.
    secret: CredentialSecretOut,
    /// Ticked by "I have stored the secret".
    stored: RwSignal<bool>,
    /// "Done".
    #[prop(into)]
    on_done: Callback<()>,
) -> impl IntoView {
    let client_id = secret.client_id.to_string();
    let client_secret = secret.client_secret.clone();
    let curl = token_curl(&client_id, &client_secret);
    let env = env_file(&client_id, &client_secret);
    let file_name = format!("{client_id}.env");
    let not_stored = move || !stored.get();
    // The form that had focus is gone: focus the step's heading, whose
    // description is the warning, so nothing falls back to `<body>`.
    focus_when_shown(REVEAL_HEADING);
    view! {
        <div class="secret-reveal">
            <h3
                id=REVEAL_HEADING
                class="small-heading"
                tabindex="-1"
                aria-describedby="reveal-warning"
            >
                "Your new secret"
            </h3>
            <p class="warning" id="reveal-warning">
                <strong>"Copy the secret now: it can't be shown again."</strong>
                " We keep only a hash of it. If it is lost, roll the credential to get a new one."
            </p>
            <dl class="secret-values">
                <CopyableValue label="Client id" id="client-id" value=client_id />
                <CopyableValue label="Client secret" id="client-secret" value=client_secret />
            </dl>
            <p>
                <button
                    type="button"
                    class="button button-secondary"
                    on:click=move |_| save_file(&file_name, &env)
                >
                    "Download as .env"
                </button>
            </p>
            <h3 class="small-heading">"Get an access token"</h3>
            <CodeBlock text=curl label="Copy the curl command" />
            <label class="checkbox">
                <input type="checkbox" bind:checked=stored />
                "I have stored the secret"
            </label>
            <div class="modal-actions">
                <button
                    type="button"
                    class="button button-primary"
                    disabled=not_stored
                    on:click=move |_| on_done.run(())
                >
                    "Done"
                </button>
            </div>
        </div>
    }
}

/// Asked when the reveal is closed before "I have stored the secret".
#[component]
pub fn ConfirmEarlyClose(
    #[prop(into)] on_keep: Callback<()>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let keep = NodeRef::<leptos::html::Button>::new();
    keep.on_load(|b| {
        request_animation_frame(move || {
            let _ = b.focus();
        });
    });
    view! {
        <div class="confirm-close" role="alert">
            <p>
                <strong>"Close without storing the secret?"</strong>
                " It can't be shown again; you would have to roll the credential."
            </p>
            <div class="modal-actions">
                <button
                    type="button"
                    class="button"
                    node_ref=keep
                    on:click=move |_| on_keep.run(())
                >
                    "Keep it open"
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    on:click=move |_| on_close.run(())
                >
                    "Close anyway"
                </button>
            </div>
        </div>
    }
}
