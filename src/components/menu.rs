//! A row's "⋯" menu, the WAI-ARIA menu button as primer's ActionMenu and
//! thaw's Menu do it: the button says it has a menu and whether it is open;
//! the menu and its items are `menu` and `menuitem`; arrows, Home and End
//! move between items, Esc closes and gives focus back to the button, Tab
//! and a click elsewhere close it.
//!
//! The menu is placed `fixed` next to its button, so a table that scrolls
//! sideways (or a card on a phone) can't clip it; it follows its button when
//! the page scrolls, and closes when the window resizes.

use std::sync::atomic::{AtomicU32, Ordering};

use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Rough height of one item, to decide whether the menu fits below its button.
const ITEM_PX: f64 = 34.0;

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// One action of a menu.
#[derive(Clone)]
pub struct MenuItem {
    label: String,
    danger: bool,
    run: Callback<()>,
}

impl MenuItem {
    pub fn new(label: impl Into<String>, run: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            label: label.into(),
            danger: false,
            run: Callback::new(move |()| run()),
        }
    }

    /// A destructive action: red in the menu, never in the row.
    pub fn danger(label: impl Into<String>, run: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            danger: true,
            ..Self::new(label, run)
        }
    }
}

/// Where focus goes when the menu opens.
#[derive(Clone, Copy)]
enum Start {
    First,
    Last,
}

#[component]
pub fn ActionMenu(
    /// The button's accessible name, e.g. "Actions for Checkout backend".
    #[prop(into)]
    label: String,
    /// The actions, in order.
    items: Vec<MenuItem>,
) -> impl IntoView {
    let id = format!("menu-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let open = RwSignal::new(false);
    // `(top or bottom, right, upward)` in whole px from the viewport's edges
    // (whole: formatting an `f64` would add its formatter to every user's app).
    let place = RwSignal::new((0i32, 0i32, false));
    let button = NodeRef::<leptos::html::Button>::new();
    let menu = NodeRef::<leptos::html::Div>::new();
    let listeners = StoredValue::new_local(Vec::<WindowListenerHandle>::new());
    let count = items.len();

    let focus_item = move |index: i32| {
        let Some(menu) = menu.try_get_untracked().flatten() else {
            return;
        };
        let Ok(nodes) = menu.query_selector_all("[role=menuitem]") else {
            return;
        };
        let n = nodes.length() as i32;
        if n == 0 {
            return;
        }
        let i = index.rem_euclid(n) as u32;
        if let Some(el) = nodes.item(i).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = el.focus();
        }
    };
    let current = move || -> i32 {
        let (Some(menu), Some(active)) = (
            menu.try_get_untracked().flatten(),
            document().active_element(),
        ) else {
            return -1;
        };
        let Ok(nodes) = menu.query_selector_all("[role=menuitem]") else {
            return -1;
        };
        (0..nodes.length())
            .find(|&i| nodes.item(i).is_some_and(|n| n.is_same_node(Some(&active))))
            .map_or(-1, |i| i as i32)
    };
    // `try_`: a focusout or scroll can come after the row was re-rendered
    // and this menu disposed.
    let close = move |refocus: bool| {
        open.try_set(false);
        listeners.try_update_value(|l| l.drain(..).for_each(|h| h.remove()));
        if refocus && let Some(b) = button.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    // Below the button, or above it when there is no room below.
    let reposition = move || {
        if let Some(b) = button.try_get_untracked().flatten() {
            let r = b.get_bounding_client_rect();
            let width = window()
                .inner_width()
                .ok()
                .and_then(|w| w.as_f64())
                .unwrap_or(0.0);
            let height = window()
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
            let upward =
                r.bottom() + ITEM_PX * count as f64 + 16.0 > height && r.top() > height / 2.0;
            let vertical = if upward {
                height - r.top() + 4.0
            } else {
                r.bottom() + 4.0
            };
            let right = (width - r.right()).max(8.0);
            place.try_set((vertical.round() as i32, right.round() as i32, upward));
        }
    };
    let show = move |start: Start| {
        reposition();
        open.set(true);
        listeners.update_value(|l| {
            l.push(window_event_listener(ev::scroll, move |_| reposition()));
            l.push(window_event_listener(ev::resize, move |_| close(false)));
        });
        request_animation_frame(move || match start {
            Start::First => focus_item(0),
            Start::Last => focus_item(-1),
        });
    };
    on_cleanup(move || {
        listeners.try_update_value(|l| l.drain(..).for_each(|h| h.remove()));
    });

    let on_button_key = move |e: ev::KeyboardEvent| {
        let start = match e.key().as_str() {
            "ArrowDown" => Start::First,
            "ArrowUp" => Start::Last,
            _ => return,
        };
        e.prevent_default();
        show(start);
    };
    let on_menu_key = move |e: ev::KeyboardEvent| {
        let here = current();
        match e.key().as_str() {
            "ArrowDown" => focus_item(here + 1),
            "ArrowUp" => focus_item(here - 1),
            "Home" => focus_item(0),
            "End" => focus_item(-1),
            "Escape" => {
                // The menu's own: a dialog behind it must not close too.
                e.stop_propagation();
                close(true);
            }
            "Tab" => {
                close(false);
                return;
            }
            _ => return,
        }
        e.prevent_default();
    };
    // Focus (or a click) leaving the button and menu closes it.
    let on_focus_out = move |e: ev::FocusEvent| {
        let wrapper = e
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let next = e
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if open.try_get_untracked() == Some(true)
            && !wrapper.is_some_and(|w| w.contains(next.as_ref()))
        {
            close(false);
        }
    };

    let items = StoredValue::new(items);
    let menu_id = id.clone();
    view! {
        <div class="menu-anchor" on:focusout=on_focus_out>
            <button
                type="button"
                class="menu-button"
                node_ref=button
                aria-label=label
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=move || open.get().then(|| id.clone())
                on:click=move |_| {
                    if open.get_untracked() { close(false) } else { show(Start::First) }
                }
                on:keydown=on_button_key
            >
                <span aria-hidden="true">"⋯"</span>
            </button>
            <Show when=move || open.get()>
                <div
                    id=menu_id.clone()
                    class="menu menu-fixed"
                    role="menu"
                    node_ref=menu
                    style:top=move || {
                        let (v, _, up) = place.get();
                        (!up).then(|| format!("{v}px"))
                    }
                    style:bottom=move || {
                        let (v, _, up) = place.get();
                        up.then(|| format!("{v}px"))
                    }
                    style:right=move || format!("{}px", place.get().1)
                    on:keydown=on_menu_key
                >
                    {items
                        .get_value()
                        .into_iter()
                        .map(|item| {
                            let run = item.run;
                            view! {
                                <button
                                    type="button"
                                    role="menuitem"
                                    tabindex="-1"
                                    class="menu-item"
                                    class:menu-item-danger=item.danger
                                    on:click=move |_| {
                                        close(true);
                                        run.run(());
                                    }
                                >
                                    {item.label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </Show>
        </div>
    }
}
