//! `/settings`: profile, password, security PIN, the organisation, and how
//! much of its quotas the organisation uses. Each section is its own form
//! with its own errors.

use leptos::prelude::*;
use portal_contract::Permission;
use portal_contract::accounts::{
    OrganisationPatch, PasswordChangeIn, PinChangeIn, ProfilePatch, Usage,
};

use crate::api;
use crate::components::field::{NEW_PIN_RULE, NewPasswordField, PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::components::load_error::LoadError;
use crate::components::progress::track_progress;
use crate::components::table::SkeletonLines;
use crate::components::toast::use_toaster;
use crate::session::use_session;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <h1>"Settings"</h1>
        <div class="stack">
            <ProfileForm />
            <PasswordForm />
            <PinForm />
            <OrganisationForm />
            <UsageCard />
        </div>
    }
}

#[component]
fn ProfileForm() -> impl IntoView {
    let session = use_session();
    let toaster = use_toaster();
    let current = session
        .0
        .with_untracked(|s| s.as_ref().map(|s| s.user.full_name.clone()));
    let full_name = RwSignal::new(current.unwrap_or_default());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ProfilePatch {
            full_name: full_name.get_untracked(),
        };
        let validation = input.validate();
        errors.submit(
            pending,
            validation,
            async move { api::update_profile(&input).await },
            move |user| {
                full_name.set(user.full_name.clone());
                session.0.update(|s| {
                    if let Some(s) = s {
                        s.user = user;
                    }
                });
                toaster.success("Your name is saved.");
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <TextField
                    label="Full name"
                    required=true
                    name="full_name"
                    autocomplete="name"
                    value=full_name
                    error=errors.field("full_name")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Saving…" } else { "Save name" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let toaster = use_toaster();
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PasswordChangeIn {
            current_password: current_password.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        let validation = input.validate();
        errors.submit(
            pending,
            validation,
            async move { api::change_password(&input).await },
            move |()| {
                current_password.set(String::new());
                new_password.set(String::new());
                toaster.success("Your password is changed. Your other sessions were signed out.");
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <TextField
                    label="Current password"
                    required=true
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    value=current_password
                    error=errors.field("current_password")
                />
                <NewPasswordField
                    label="New password"
                    name="new_password"
                    value=new_password
                    error=errors.field("new_password")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Changing…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn PinForm() -> impl IntoView {
    let toaster = use_toaster();
    let password = RwSignal::new(String::new());
    let new_pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = PinChangeIn {
            password: password.get_untracked(),
            new_pin: new_pin.get_untracked(),
        };
        let validation = input.validate();
        errors.submit(
            pending,
            validation,
            async move { api::change_pin(&input).await },
            move |()| {
                password.set(String::new());
                new_pin.set(String::new());
                toaster.success("Your security PIN is changed.");
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="pin-heading">
            <h2 id="pin-heading">"Security PIN"</h2>
            <p class="muted">
                "We ask for your PIN before sensitive actions. Changing it needs your password."
            </p>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <TextField
                    label="Password"
                    required=true
                    name="password"
                    id="pin-password"
                    kind="password"
                    autocomplete="current-password"
                    value=password
                    error=errors.field("password")
                />
                <PinField
                    label="New PIN"
                    name="new_pin"
                    value=new_pin
                    error=errors.field("new_pin")
                    hint=NEW_PIN_RULE
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Changing…" } else { "Change PIN" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn OrganisationForm() -> impl IntoView {
    let session = use_session();
    let toaster = use_toaster();
    let current = session
        .0
        .with_untracked(|s| s.as_ref().map(|s| s.organisation.name.clone()));
    let name = RwSignal::new(current.unwrap_or_default());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let may_edit = move || session.can(Permission::ManageOrganisation);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OrganisationPatch {
            name: name.get_untracked(),
        };
        let validation = input.validate();
        errors.submit(
            pending,
            validation,
            async move { api::update_organisation(&input).await },
            move |org| {
                name.set(org.name.clone());
                session.0.update(|s| {
                    if let Some(s) = s {
                        s.organisation = org;
                    }
                });
                toaster.success("The organisation's name is saved.");
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="organisation-heading">
            <h2 id="organisation-heading">"Organisation"</h2>
            <Show
                when=may_edit
                fallback=move || {
                    view! {
                        <p>
                            <strong>{move || name.get()}</strong>
                        </p>
                        <p class="muted">
                            "Only a superadmin can change the organisation's settings."
                        </p>
                    }
                }
            >
                <form on:submit=on_submit novalidate>
                    <FormError message=errors.form() />
                    <TextField
                        label="Organisation name"
                        required=true
                        name="name"
                        id="organisation-name"
                        autocomplete="organization"
                        value=name
                        error=errors.field("name")
                    />
                    <button
                        type="submit"
                        class="button button-primary"
                        aria-disabled=move || pending.get().to_string()
                    >
                        {move || if pending.get() { "Saving…" } else { "Save organisation" }}
                    </button>
                </form>
            </Show>
        </section>
    }
}

/// How much of each organisation-wide quota the organisation uses: what it
/// may still add before something is refused.
#[component]
fn UsageCard() -> impl IntoView {
    let usage = LocalResource::new(api::organisation_usage);
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage"</h2>
            <p class="muted">
                "What your organisation holds, of what the platform allows. Events are deleted \
                 after the platform's retention period, which frees their space."
            </p>
            <Transition
                fallback=|| view! { <SkeletonLines label="Loading usage…" lines=3 /> }
                set_pending=track_progress()
            >
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(u) => {
                            view! {
                                <dl class="usage">
                                    {usage_row("usage-projects", "Projects", u.projects, count)}
                                    {usage_row(
                                        "usage-endpoints",
                                        "Webhook endpoints",
                                        u.endpoints,
                                        count,
                                    )}
                                    {usage_row(
                                        "usage-events",
                                        "Event storage",
                                        u.event_bytes,
                                        bytes,
                                    )}
                                </dl>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <LoadError message=e.message() on_retry=move || usage.refetch() />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// One quota: "3 of 50", and a gauge that turns red past 80 %.
fn usage_row(
    id: &'static str,
    label: &'static str,
    usage: Usage,
    show: fn(i64) -> String,
) -> impl IntoView {
    let amount = format!("{} of {}", show(usage.used), show(usage.limit));
    view! {
        <div class="usage-row">
            <dt id=id>{label}</dt>
            <dd>
                <span>{amount}</span>
                <meter
                    aria-labelledby=id
                    min="0"
                    max=usage.limit.to_string()
                    low=(usage.limit / 10 * 8).to_string()
                    high=(usage.limit / 10 * 8).to_string()
                    optimum="0"
                    value=usage.used.to_string()
                ></meter>
            </dd>
        </div>
    }
}

fn count(n: i64) -> String {
    n.to_string()
}

/// Bytes as people read them: "850 KB", "12.4 MB", "1,024 MB" (MB = 2²⁰
/// bytes, as the setting counts them). Integer arithmetic: formatting a
/// float would bring the float formatter into the page's module.
pub fn bytes(n: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * KB;
    let n = n.max(0);
    if n < KB {
        format!("{n} B")
    } else if n < MB {
        format!("{} KB", n / KB)
    } else {
        let tenths = (n * 10 + MB / 2) / MB;
        let whole = group(tenths / 10);
        match tenths % 10 {
            0 => format!("{whole} MB"),
            t => format!("{whole}.{t} MB"),
        }
    }
}

/// `n` with a comma between each three digits.
fn group(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(850 * 1024 + 3), "850 KB");
        assert_eq!(bytes(1024 * 1024), "1 MB");
        assert_eq!(bytes(13_002_342), "12.4 MB");
        assert_eq!(bytes(1024 * 1024 * 1024), "1,024 MB");
        assert_eq!(bytes(-5), "0 B");
    }
}
