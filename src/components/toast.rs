//! Toasts: short results of actions, announced to screen readers through an
//! `aria-live` region. A success goes after a few seconds; an error stays
//! until the user dismisses it, so it can be read and acted on.

use leptos::prelude::*;

/// How long a success toast stays.
const TOAST_MS: u64 = 6000;

/// Toasts on screen at most: a new one pushes out the oldest success, so
/// they stay in the top bar's strip instead of growing over the page.
const MAX_TOASTS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub message: String,
}

/// The toasts on screen; `use_toaster()` in any component.
#[derive(Clone, Copy)]
pub struct Toaster {
    toasts: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toaster {
    pub fn success(&self, message: impl Into<String>) {
        self.push(ToastKind::Success, message.into());
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(ToastKind::Error, message.into());
    }

    fn push(&self, kind: ToastKind, message: String) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.toasts.update(|t| {
            t.push(Toast { id, kind, message });
            while t.len() > MAX_TOASTS {
                match t.iter().position(|old| old.kind == ToastKind::Success) {
                    Some(i) => t.remove(i),
                    None => t.remove(0),
                };
            }
        });
        if kind == ToastKind::Success {
            let this = *self;
            set_timeout(
                move || this.dismiss(id),
                std::time::Duration::from_millis(TOAST_MS),
            );
        }
    }

    pub fn dismiss(&self, id: u64) {
        self.toasts.try_update(|t| t.retain(|toast| toast.id != id));
    }

    /// The toasts on screen now.
    pub fn current(&self) -> Vec<Toast> {
        self.toasts.get()
    }
}

pub fn provide_toaster() -> Toaster {
    let toaster = Toaster {
        toasts: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toaster);
    toaster
}

pub fn use_toaster() -> Toaster {
    expect_context()
}

/// Where toasts appear (over the empty middle of the top bar; along the
/// bottom on a phone). Rendered once, by the app.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toaster = use_toaster();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toaster.current() key=|toast| toast.id let:toast>
                <div class="toast" class:toast-error=toast.kind == ToastKind::Error>
                    <span>{toast.message.clone()}</span>
                    <button
                        type="button"
                        class="toast-close"
                        aria-label="Dismiss"
                        on:click=move |_| toaster.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
