//! Components in a real browser (wasm-bindgen-test + Chromium): rendering,
//! accessibility wiring, and what the user sees after interacting.

#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use leptos::wasm_bindgen::JsCast;
use portal::components::field::TextField;
use portal::components::form::{FormError, FormErrors};
use portal::components::modal::Modal;
use portal::components::toast::{ToastRegion, provide_toaster, use_toaster};
use portal::pages::project::secret_reveal::{SecretReveal, env_file, token_url};
use portal::pages::sign_in::SignInPage;
use portal::pages::sign_up::SignUpPage;
use portal::session::provide_session_context;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests don't see each other's DOM.
fn container() -> HtmlElement {
    let el = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el.unchecked_into()
}

fn find(root: &HtmlElement, selector: &str) -> HtmlElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

fn find_all(root: &HtmlElement, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

#[wasm_bindgen_test]
async fn text_field_links_its_label_hint_and_error() {
    let root = container();
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let _handle = mount_to(root.clone(), move || {
        view! {
            <TextField
                label="Work email"
                name="email"
                kind="email"
                hint="We send links here."
                value=value
                error=error
            />
        }
    });
    tick().await;

    let input: HtmlInputElement = find(&root, "input").unchecked_into();
    assert_eq!(
        find(&root, "label").get_attribute("for").as_deref(),
        Some("email")
    );
    assert_eq!(input.id(), "email");
    assert_eq!(input.type_(), "email");
    assert_eq!(
        input.get_attribute("aria-invalid").as_deref(),
        Some("false")
    );
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("email-hint")
    );

    error.set(Some("Enter an email address like name@example.com.".into()));
    tick().await;
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("email-hint email-error")
    );
    assert_eq!(
        find(&root, "#email-error").text_content().as_deref(),
        Some("Enter an email address like name@example.com.")
    );

    // Typing reaches the signal.
    input.set_value("ada@acme.test");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(value.get_untracked(), "ada@acme.test");
}

#[wasm_bindgen_test]
async fn toasts_are_announced_and_can_be_dismissed() {
    let root = container();
    let toaster = StoredValue::new(None);
    let _handle = mount_to(root.clone(), move || {
        provide_toaster();
        toaster.set_value(Some(use_toaster()));
        view! { <ToastRegion /> }
    });
    tick().await;
    let toaster = toaster.get_value().unwrap();
    let region = find(&root, ".toasts");
    assert_eq!(region.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));

    toaster.success("Your name is saved.");
    toaster.error("We couldn't reach the portal.");
    tick().await;
    assert_eq!(find_all(&root, ".toast"), 2);
    assert_eq!(find_all(&root, ".toast-error"), 1);
    assert!(
        region
            .text_content()
            .unwrap()
            .contains("Your name is saved.")
    );

    find(&root, ".toast .toast-close").click();
    tick().await;
    assert_eq!(find_all(&root, ".toast"), 1);
    assert!(
        !region
            .text_content()
            .unwrap()
            .contains("Your name is saved.")
    );
}

#[wasm_bindgen_test]
async fn form_errors_show_server_fields_by_the_field_and_the_rest_above() {
    let root = container();
    let errors = FormErrors::new();
    let value = RwSignal::new(String::new());
    let _handle = mount_to(root.clone(), move || {
        view! {
            <FormError message=errors.form() />
            <TextField label="PIN" name="pin" value=value error=errors.field("pin") />
        }
    });
    tick().await;
    assert_eq!(find_all(&root, "[role=alert]"), 0);

    let body = serde_json::from_str(
        r#"{"code":"validation_failed","message":"Some fields need your attention.","fields":{"pin":"Use exactly 6 digits."}}"#,
    )
    .unwrap();
    errors.show(&portal::api::Error::Api { status: 422, body });
    tick().await;
    assert_eq!(
        find(&root, "#pin-error").text_content().as_deref(),
        Some("Use exactly 6 digits.")
    );
    assert_eq!(find_all(&root, "[role=alert]"), 0);

    errors.show(&portal::api::Error::Network("offline".into()));
    tick().await;
    assert_eq!(find_all(&root, "#pin-error"), 0);
    let alert = find(&root, "[role=alert]");
    assert!(
        alert
            .text_content()
            .unwrap()
            .contains("couldn't reach the portal")
    );
}

#[wasm_bindgen_test]
async fn sign_in_checks_fields_before_calling_the_server() {
    let root = container();
    let _handle = mount_to(root.clone(), || {
        provide_toaster();
        provide_session_context();
        // The sign-in app has no router: its pages need none.
        view! { <SignInPage /> }
    });
    tick().await;
    let submit = find(&root, "button[type=submit]");
    assert_eq!(submit.text_content().as_deref(), Some("Sign in"));
    submit.click();
    tick().await;
    assert_eq!(
        find(&root, "#email-error").text_content().as_deref(),
        Some("Enter your email address.")
    );
    assert_eq!(
        find(&root, "#password-error").text_content().as_deref(),
        Some("Enter your password.")
    );
    // Nothing was sent, so the button is not waiting.
    assert!(
        !submit
            .unchecked_ref::<web_sys::HtmlButtonElement>()
            .disabled()
    );
}

#[wasm_bindgen_test]
async fn sign_up_applies_the_contract_rules_by_the_field() {
    let root = container();
    let _handle = mount_to(root.clone(), || {
        provide_toaster();
        provide_session_context();
        // The sign-in app has no router: its pages need none.
        view! { <SignUpPage /> }
    });
    tick().await;
    let type_into = |id: &str, text: &str| {
        let input: HtmlInputElement = find(&root, &format!("#{id}")).unchecked_into();
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
    };
    type_into("organisation_name", "Acme");
    type_into("full_name", "Ada Lovelace");
    type_into("email", "ada@acme.test");
    type_into("password", "correct horse battery");
    type_into("pin", "123456");
    tick().await;
    find(&root, "button[type=submit]").click();
    tick().await;
    assert_eq!(
        find(&root, "#pin-error").text_content().as_deref(),
        Some("Don't use a run like 123456.")
    );
    assert_eq!(find_all(&root, ".field-error"), 1);
}

fn press(key: &str, shift: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    let target = document().active_element().unwrap();
    target.dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn modal_is_a_labelled_dialog_that_traps_tab_and_closes_on_escape() {
    let root = container();
    let closed = RwSignal::new(0);
    let _handle = mount_to(root.clone(), move || {
        view! {
            <Modal title="Invite a member" on_close=move || closed.update(|n| *n += 1)>
                <input id="modal-first" />
                <button id="modal-last">"Send"</button>
            </Modal>
        }
    });
    tick().await;
    let dialog = find(&root, "[role=dialog]");
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let title_id = dialog.get_attribute("aria-labelledby").unwrap();
    assert_eq!(
        find(&root, &format!("#{title_id}"))
            .text_content()
            .as_deref(),
        Some("Invite a member")
    );

    // Tab from the last control wraps to the first (the close button).
    find(&root, "#modal-last").focus().unwrap();
    press("Tab", false);
    let active = document().active_element().unwrap();
    assert_eq!(active.get_attribute("aria-label").as_deref(), Some("Close"));
    // Shift+Tab from the first wraps to the last.
    press("Tab", true);
    assert_eq!(document().active_element().unwrap().id(), "modal-last");

    // Esc closes, even when focus has wandered out of the dialog.
    document().body().unwrap().focus().unwrap();
    let ev = web_sys::KeyboardEventInit::new();
    ev.set_key("Escape");
    ev.set_bubbles(true);
    let esc = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &ev).unwrap();
    document().body().unwrap().dispatch_event(&esc).unwrap();
    tick().await;
    assert_eq!(closed.get_untracked(), 1);
}

/// The create answer of a credential, as the server sends it.
fn created_credential() -> portal_contract::credentials::CredentialSecretOut {
    serde_json::from_value(serde_json::json!({
        "client_id": "cred_aaaabbbbccccddddeeee",
        "client_secret": "sk_test_secretsecretsecretsecretsecretsecretsecretsecret123456",
        "credential": {
            "id": "cred_aaaabbbbccccddddeeee", "project_id": "prj_aaaabbbbccccddddeeee",
            "description": "Checkout backend", "scopes": ["read"],
            "secrets": [{ "hint": "sk_test_secr", "created_at": 1, "expires_at": null }],
            "created_by": null, "created_at": 1, "expires_at": null, "revoked_at": null,
            "last_used_at": null, "status": "active"
        }
    }))
    .unwrap()
}

#[wasm_bindgen_test]
async fn the_secret_reveal_finishes_only_once_the_secret_is_stored() {
    let root = container();
    let stored = RwSignal::new(false);
    let done = RwSignal::new(0);
    let _handle = mount_to(root.clone(), move || {
        view! {
            <SecretReveal
                secret=created_credential()
                stored=stored
                on_done=move || done.update(|d| *d += 1)
            />
        }
    });
    tick().await;

    assert_eq!(
        find(&root, "[data-testid=client-secret]")
            .text_content()
            .as_deref(),
        Some("sk_test_secretsecretsecretsecretsecretsecretsecretsecret123456")
    );
    assert_eq!(
        find(&root, "[data-testid=client-id]")
            .text_content()
            .as_deref(),
        Some("cred_aaaabbbbccccddddeeee")
    );
    assert!(
        find(&root, "pre")
            .text_content()
            .unwrap()
            .contains(&token_url())
    );
    let done_button: web_sys::HtmlButtonElement =
        find(&root, ".modal-actions button").unchecked_into();
    assert!(done_button.disabled(), "Done waits for the tick");
    done_button.click();
    assert_eq!(done.get_untracked(), 0);

    let checkbox: HtmlInputElement = find(&root, "input[type=checkbox]").unchecked_into();
    checkbox.click();
    tick().await;
    assert!(stored.get_untracked());
    assert!(!done_button.disabled());
    done_button.click();
    assert_eq!(done.get_untracked(), 1);
}

#[wasm_bindgen_test]
fn the_env_file_names_the_token_url_id_and_secret() {
    let env = env_file("cred_x", "sk_test_y");
    assert_eq!(
        env,
        format!(
            "PORTAL_TOKEN_URL={}\nPORTAL_CLIENT_ID=cred_x\nPORTAL_CLIENT_SECRET=sk_test_y\n",
            token_url()
        )
    );
    assert!(token_url().ends_with("/v1/auth/token"));
}

/// Ticks until `done` holds (a resource resolves over a few turns of the event loop).
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..50 {
        if done() {
            return;
        }
        tick().await;
    }
    panic!("still waiting for {what}");
}

#[wasm_bindgen_test]
async fn a_listing_shows_the_error_with_a_retry_then_empty_then_rows() {
    use portal::api;
    use portal::components::load_error::Listing;

    let root = container();
    // Each load answers the next of: a network error, an empty list, two rows.
    // The first waits until the test has seen "Loading…".
    let loads = StoredValue::new(0u32);
    let gate = StoredValue::new((false, None::<std::task::Waker>));
    let _handle = mount_to(root.clone(), move || {
        let list = LocalResource::new(move || {
            let n = loads.get_value();
            loads.set_value(n + 1);
            async move {
                std::future::poll_fn(|cx| {
                    gate.update_value(|(_, waker)| *waker = Some(cx.waker().clone()));
                    if gate.with_value(|(open, _)| *open) {
                        std::task::Poll::Ready(())
                    } else {
                        std::task::Poll::Pending
                    }
                })
                .await;
                match n {
                    0 => Err(api::Error::Network("offline".into())),
                    1 => Ok(Vec::<&'static str>::new()),
                    _ => Ok(vec!["first", "second"]),
                }
            }
        });
        view! {
            <Listing
                list=list
                loading="Loading things…"
                empty="No things yet."
                is_empty=|items| items.is_empty()
                rows=|items| {
                    view! {
                        <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
                    }
                }
            />
            <button id="reload" on:click=move |_| list.refetch()>
                "Reload"
            </button>
        }
    });
    until("Loading…", || find_all(&root, ".loading") == 1).await;
    assert_eq!(
        find(&root, ".loading").text_content().as_deref(),
        Some("Loading things…")
    );
    gate.update_value(|(open, waker)| {
        *open = true;
        if let Some(waker) = waker.take() {
            waker.wake();
        }
    });

    until("the error", || find_all(&root, "[role=alert]") == 1).await;
    assert!(
        find(&root, "[role=alert]")
            .text_content()
            .unwrap()
            .contains("couldn't reach the portal")
    );
    find(&root, "[role=alert] button").click();
    until("the empty state", || find_all(&root, ".empty") == 1).await;
    assert_eq!(
        find(&root, ".empty").text_content().as_deref(),
        Some("No things yet.")
    );
    assert_eq!(find_all(&root, "[role=alert]"), 0);

    find(&root, "#reload").click();
    until("the rows", || find_all(&root, "li") == 2).await;
    assert_eq!(find_all(&root, ".empty"), 0);
    assert_eq!(loads.get_value(), 3);
}

#[wasm_bindgen_test]
async fn a_data_table_names_its_columns_and_becomes_a_region_only_with_an_id() {
    use portal::components::table::DataTable;

    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! {
            <DataTable caption="Projects" columns=&["Name", "Created"] actions=true>
                <tr>
                    <td>"Checkout"</td>
                    <td>"today"</td>
                    <td>"…"</td>
                </tr>
            </DataTable>
            <DataTable caption="Members" columns=&["Name"] id="members-results">
                <tr>
                    <td>"Ada"</td>
                </tr>
            </DataTable>
        }
    });
    tick().await;

    let headers = root.query_selector_all("th[scope=col]").unwrap();
    let names: Vec<String> = (0..headers.length())
        .map(|i| headers.item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(names, ["Name", "Created", "Actions", "Name"]);
    assert_eq!(
        find_all(&root, "th .visually-hidden"),
        1,
        "Actions is for screen readers"
    );
    assert_eq!(find_all(&root, "caption"), 2);
    assert_eq!(find_all(&root, "tbody tr"), 2);
    assert_eq!(find_all(&root, "[role=region]"), 1);
    let region = find(&root, "#members-results");
    assert_eq!(region.get_attribute("role").as_deref(), Some("region"));
    assert_eq!(
        region.get_attribute("aria-label").as_deref(),
        Some("Members")
    );
    assert_eq!(region.get_attribute("tabindex").as_deref(), Some("-1"));
}

/// Waits for the next animation frame (focus moves there, once the DOM shows
/// what was rendered).
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().request_animation_frame(&resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    tick().await;
}

fn active_text() -> String {
    document()
        .active_element()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_action_menu_is_a_menu_button_used_by_keyboard() {
    use portal::components::menu::{ActionMenu, MenuItem};

    let root = container();
    let rolled = RwSignal::new(0);
    let revoked = RwSignal::new(0);
    let _handle = mount_to(root.clone(), move || {
        view! {
            <ActionMenu
                label="Actions for Checkout backend"
                items=vec![
                    MenuItem::new("Roll secret", move || rolled.update(|n| *n += 1)),
                    MenuItem::new("Download", || {}),
                    MenuItem::danger("Revoke", move || revoked.update(|n| *n += 1)),
                ]
            />
        }
    });
    tick().await;
    let button = find(&root, "button[aria-haspopup=menu]");
    assert_eq!(
        button.get_attribute("aria-label").as_deref(),
        Some("Actions for Checkout backend")
    );
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(find_all(&root, "[role=menu]"), 0);
    assert!(button.get_attribute("aria-controls").is_none());

    // Opened by click: the first item has focus.
    button.click();
    next_frame().await;
    let menu = find(&root, "[role=menu]");
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(button.get_attribute("aria-controls"), Some(menu.id()));
    assert_eq!(find_all(&root, "[role=menuitem]"), 3);
    assert_eq!(active_text(), "Roll secret");
    assert_eq!(find_all(&root, ".menu-item-danger"), 1);

    // Arrows move and wrap; Home and End jump.
    press("ArrowDown", false);
    assert_eq!(active_text(), "Download");
    press("End", false);
    assert_eq!(active_text(), "Revoke");
    press("ArrowDown", false);
    assert_eq!(active_text(), "Roll secret");
    press("ArrowUp", false);
    assert_eq!(active_text(), "Revoke");

    // Esc closes and gives focus back to the button.
    press("Escape", false);
    tick().await;
    assert_eq!(find_all(&root, "[role=menu]"), 0);
    assert!(button.is_same_node(document().active_element().map(|e| e.into()).as_ref()));
    assert_eq!(revoked.get_untracked(), 0);

    // ArrowUp on the button opens at the last item; Enter on it acts and closes.
    press("ArrowUp", false);
    next_frame().await;
    assert_eq!(active_text(), "Revoke");
    document()
        .active_element()
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    tick().await;
    assert_eq!(revoked.get_untracked(), 1);
    assert_eq!(rolled.get_untracked(), 0);
    assert_eq!(find_all(&root, "[role=menu]"), 0);
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn a_sheet_is_a_modal_dialog_along_an_edge() {
    use portal::components::modal::DialogKind;

    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! {
            <Modal title="webhook.test delivery" kind=DialogKind::SheetRight on_close=|| {}>
                <button>"Redeliver"</button>
            </Modal>
        }
    });
    tick().await;
    let dialog = find(&root, "[role=dialog]");
    assert!(dialog.class_list().contains("sheet"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    assert!(
        find(&root, ".modal-backdrop")
            .class_list()
            .contains("sheet-backdrop")
    );
    // The title can take focus when a step replaces the focused control.
    assert_eq!(
        find(&root, "#modal-title")
            .get_attribute("tabindex")
            .as_deref(),
        Some("-1")
    );
}

#[wasm_bindgen_test]
async fn toasts_stay_in_their_strip_and_errors_are_not_pushed_out_by_successes() {
    let root = container();
    let toaster = StoredValue::new(None);
    let _handle = mount_to(root.clone(), move || {
        provide_toaster();
        toaster.set_value(Some(use_toaster()));
        view! { <ToastRegion /> }
    });
    tick().await;
    let toaster = toaster.get_value().unwrap();
    toaster.error("We couldn't reach the portal.");
    toaster.success("Project Checkout created.");
    toaster.success("Credential Checkout backend created.");
    tick().await;
    let region = find(&root, ".toasts");
    assert_eq!(find_all(&root, ".toast"), 2);
    let text = region.text_content().unwrap();
    assert!(text.contains("We couldn't reach the portal."));
    assert!(text.contains("Credential Checkout backend created."));
    assert!(!text.contains("Project Checkout created."));
}

#[wasm_bindgen_test]
async fn a_skeleton_has_the_tables_shape_and_says_what_loads() {
    use portal::components::table::SkeletonTable;

    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! { <SkeletonTable label="Loading credentials…" columns=5 /> }
    });
    tick().await;
    let wrap = find(&root, ".table-wrap");
    assert_eq!(wrap.get_attribute("aria-busy").as_deref(), Some("true"));
    assert_eq!(find_all(&root, "tbody tr"), 3);
    assert_eq!(find_all(&root, "tbody tr:first-child td"), 5);
    assert_eq!(
        find(&root, ".loading").text_content().as_deref(),
        Some("Loading credentials…")
    );
    assert_eq!(
        find(&root, "table").get_attribute("aria-hidden").as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn an_identifier_truncates_in_the_middle_but_reads_and_copies_whole() {
    use portal::components::copy::IdWithCopy;

    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! {
            <IdWithCopy
                value="cred_hexzrizdqvekowjcs4d5".to_owned()
                label="Copy the client id of Checkout backend"
            />
        }
    });
    tick().await;
    let id = find(&root, ".mid");
    assert_eq!(
        id.text_content().as_deref(),
        Some("cred_hexzrizdqvekowjcs4d5")
    );
    assert_eq!(
        id.get_attribute("data-full").as_deref(),
        Some("cred_hexzrizdqvekowjcs4d5")
    );
    assert_eq!(id.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(
        find(&root, ".mid-end").text_content().as_deref(),
        Some("jcs4d5")
    );
    assert_eq!(
        find(&root, "button").get_attribute("aria-label").as_deref(),
        Some("Copy the client id of Checkout backend")
    );
}

#[wasm_bindgen_test]
async fn a_required_field_is_marked_and_its_hint_is_under_it() {
    let root = container();
    let value = RwSignal::new(String::new());
    let _handle = mount_to(root.clone(), move || {
        view! {
            <TextField
                label="Description"
                name="description"
                hint="What uses it."
                value=value
                error=Signal::derive(|| None::<String>)
                required=true
            />
        }
    });
    tick().await;
    let label = find(&root, "label");
    assert!(label.class_list().contains("label-required"));
    assert_eq!(label.text_content().as_deref(), Some("Description"));
    let input: HtmlInputElement = find(&root, "input").unchecked_into();
    assert!(input.required());
    // Label, input, then the hint.
    let field = find(&root, ".field");
    let tags: Vec<String> = (0..field.children().length())
        .map(|i| field.children().item(i).unwrap().tag_name())
        .collect();
    assert_eq!(tags, ["LABEL", "INPUT", "P"]);
}

#[wasm_bindgen_test]
async fn the_secret_reveal_takes_focus_to_its_heading() {
    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! { <SecretReveal secret=created_credential() stored=RwSignal::new(false) on_done=|| {} /> }
    });
    next_frame().await;
    let heading = find(&root, "#reveal-heading");
    assert!(heading.is_same_node(document().active_element().map(|e| e.into()).as_ref()));
    // Focusing it reads the warning too.
    let warning = heading.get_attribute("aria-describedby").unwrap();
    assert!(
        find(&root, &format!("#{warning}"))
            .text_content()
            .unwrap()
            .contains("it can't be shown again")
    );
}

#[wasm_bindgen_test]
async fn the_role_choice_offers_what_the_actor_may_grant_with_what_each_may_do() {
    use portal::pages::team::role_choice::{RoleChoice, role_summary};
    use portal_contract::Role;

    let root = container();
    let role = RwSignal::new("developer".to_owned());
    let _handle = mount_to(root.clone(), move || {
        let session = provide_session_context();
        session.0.set(Some(
            serde_json::from_value(serde_json::json!({
                "user": { "id": "usr_1", "email": "ada@acme.test", "full_name": "Ada Lovelace",
                          "role": "admin", "created_at": 1 },
                "organisation": { "id": "org_1", "name": "Acme", "status": "approved", "created_at": 1 },
                "expires_at": 2
            }))
            .unwrap(),
        ));
        view! {
            <RoleChoice
                legend="Role"
                id="invite-role"
                value=role
                error=Signal::derive(|| None::<String>)
            />
        }
    });
    tick().await;
    // An admin may not make superadmins.
    let radios = root.query_selector_all("input[type=radio]").unwrap();
    let values: Vec<String> = (0..radios.length())
        .map(|i| {
            radios
                .item(i)
                .unwrap()
                .unchecked_into::<HtmlInputElement>()
                .value()
        })
        .collect();
    assert_eq!(values, ["admin", "developer", "viewer"]);
    let developer: HtmlInputElement = find(&root, "#invite-role-developer").unchecked_into();
    assert!(developer.checked());
    let hint = developer.get_attribute("aria-describedby").unwrap();
    assert_eq!(
        find(&root, &format!("#{hint}")).text_content(),
        Some(role_summary(Role::Developer))
    );
    find(&root, "#invite-role-viewer").click();
    tick().await;
    assert_eq!(role.get_untracked(), "viewer");
}

#[wasm_bindgen_test]
fn percentages_are_written_as_the_browsers_language_writes_them() {
    // The test browser speaks English: no space before the sign.
    assert_eq!(portal::format::percent(100), "100%");
    assert_eq!(portal::format::percent(7), "7%");
    assert_eq!(
        portal::format::count(1u32, "delivery", "deliveries"),
        "1 delivery"
    );
}

#[wasm_bindgen_test]
async fn skeleton_lines_stand_in_for_text_and_say_what_loads() {
    use portal::components::table::SkeletonLines;

    let root = container();
    let _handle = mount_to(root.clone(), move || {
        view! { <SkeletonLines label="Loading event types…" lines=3 /> }
    });
    tick().await;
    assert_eq!(
        find(&root, "[aria-busy=true] .loading")
            .text_content()
            .as_deref(),
        Some("Loading event types…")
    );
    assert_eq!(find_all(&root, ".skeleton-bar[aria-hidden=true]"), 3);
}
