//! A modal dialog: `role="dialog"`, `aria-modal`, labelled by its title; it
//! traps Tab inside, closes on Esc or the close button, focuses its first
//! field on open and gives focus back to what opened it (or to the page's
//! main region when that is gone, never to `<body>`). Centred, or a sheet
//! from the side (the navigation on a phone, a delivery's details).

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// The title's element id: what labels the dialog, and where focus can go
/// when a step of the dialog replaces the control that had it.
pub const TITLE_ID: &str = "modal-title";

/// Where the dialog sits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DialogKind {
    /// In the middle of the screen.
    #[default]
    Centered,
    /// A full-height sheet along the right edge, for details.
    SheetRight,
    /// A full-height sheet along the left edge, for navigation.
    SheetLeft,
}

const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
                         select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

#[component]
pub fn Modal(
    /// The dialog's title, read out when it opens.
    #[prop(into)]
    title: Signal<String>,
    /// Called on Esc, the close button or a click on the backdrop.
    #[prop(into)]
    on_close: Callback<()>,
    /// Centred (the default) or a sheet from one side.
    #[prop(optional)]
    kind: DialogKind,
    /// The dialog's body.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    // Whatever had focus before, to give it back on close.
    let opener = document()
        .active_element()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    on_cleanup(move || {
        // The opener may be gone (its row was reloaded): then the page's
        // main region, so keyboard users go on from where they were.
        let back = opener.filter(|o| o.is_connected()).or_else(|| {
            document()
                .get_element_by_id("main")
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        });
        if let Some(el) = back {
            let _ = el.focus();
        }
    });

    dialog.on_load(move |el| {
        request_animation_frame(move || {
            let first = el
                .query_selector("input, select, textarea")
                .ok()
                .flatten()
                .or_else(|| el.query_selector(FOCUSABLE).ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlElement>().ok());
            if let Some(first) = first {
                let _ = first.focus();
            }
        });
    });

    // On the window, not the dialog: focus may have left the dialog (a button
    // that was pressed got removed), and Esc and Tab must still work.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(el) = dialog.get_untracked() else {
            return;
        };
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                on_close.run(());
            }
            "Tab" => trap_tab(&el, &ev),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    let backdrop = match kind {
        DialogKind::Centered => "modal-backdrop",
        DialogKind::SheetRight => "modal-backdrop sheet-backdrop",
        DialogKind::SheetLeft => "modal-backdrop sheet-backdrop sheet-left",
    };
    view! {
        <div class=backdrop on:click=move |_| on_close.run(())>
            <div
                class="modal"
                class:sheet=kind != DialogKind::Centered
                role="dialog"
                aria-modal="true"
                aria-labelledby=TITLE_ID
                node_ref=dialog
                on:click=|ev| ev.stop_propagation()
            >
                <div class="modal-header">
                    <h2 id=TITLE_ID tabindex="-1">
                        {move || title.get()}
                    </h2>
                    <button
                        type="button"
                        class="modal-close"
                        aria-label="Close"
                        on:click=move |_| on_close.run(())
                    >
                        "×"
                    </button>
                </div>
                {children()}
            </div>
        </div>
    }
}

/// Moves focus to `id` (a step's heading, with `tabindex="-1"`) once the DOM
/// shows it: used when a dialog's step replaces the control that had focus.
pub fn focus_when_shown(id: &'static str) {
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// Keeps Tab and Shift+Tab cycling through the dialog's controls.
fn trap_tab(dialog: &web_sys::HtmlDivElement, ev: &web_sys::KeyboardEvent) {
    let Ok(nodes) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let count = nodes.length();
    let item = |i| nodes.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok());
    let (Some(first), Some(last)) = (item(0), item(count.saturating_sub(1))) else {
        return;
    };
    let active = document().active_element();
    let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
    let is = |e: &HtmlElement| active.as_ref().is_some_and(|a| e.is_same_node(Some(a)));
    let target = if !inside {
        Some(if ev.shift_key() { last } else { first })
    } else if ev.shift_key() && is(&first) {
        Some(last)
    } else if !ev.shift_key() && is(&last) {
        Some(first)
    } else {
        None
    };
    if let Some(target) = target {
        ev.prevent_default();
        let _ = target.focus();
    }
}

/// The buttons at the foot of a modal form: Cancel, and the submit button,
/// which says it is busy while `pending`.
#[component]
pub fn ModalActions(
    /// What Cancel does (usually closing the modal).
    #[prop(into)]
    on_cancel: Callback<()>,
    /// Whether the form is being sent.
    #[prop(into)]
    pending: Signal<bool>,
    /// The submit button's label.
    submit: &'static str,
    /// Its label while busy.
    busy: &'static str,
    /// A destructive action: the submit button is red.
    #[prop(optional)]
    danger: bool,
) -> impl IntoView {
    view! {
        <div class="modal-actions">
            <button type="button" class="button" on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
            <button
                type="submit"
                class="button"
                class:button-danger=danger
                class:button-primary=!danger
                aria-disabled=move || pending.get().to_string()
            >
                {move || if pending.get() { busy } else { submit }}
            </button>
        </div>
    }
}
