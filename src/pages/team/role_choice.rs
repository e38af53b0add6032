//! Choosing a role: one radio per role the acting member may give, each
//! with what it lets someone do, worded from the contract's role table (so
//! the explanation can't drift from what the server enforces).

use leptos::prelude::*;
use portal_contract::{Permission, Role};

use crate::session::use_session;

/// What each permission of the table lets a member do, in the table's order.
const ABILITIES: [(Permission, &str); 5] = [
    (
        Permission::View,
        "see projects, credentials, webhooks, deliveries and the team",
    ),
    (
        Permission::ManageCredentialsAndWebhooks,
        "create, roll and revoke credentials, and manage webhooks",
    ),
    (
        Permission::ManageProjects,
        "create, rename and delete projects",
    ),
    (
        Permission::ManageTeam,
        "invite members, change their roles and deactivate them (not superadmins)",
    ),
    (
        Permission::ManageOrganisation,
        "manage superadmins and the organisation's settings",
    ),
];

/// What `role` may do, as what it adds to the role below it.
pub fn role_summary(role: Role) -> String {
    let below = Role::ALL.iter().skip_while(|r| **r != role).nth(1).copied();
    let added = ABILITIES
        .iter()
        .filter(|(p, _)| role.can(*p) && !below.is_some_and(|b| b.can(*p)))
        .map(|(_, what)| *what)
        .collect::<Vec<_>>();
    match below {
        None => format!("Can {}, and change nothing.", added.join("; ")),
        Some(b) if added.is_empty() => format!("The same as {}.", article(b)),
        Some(b) => format!("Everything {} can, and {}.", article(b), added.join("; ")),
    }
}

fn article(role: Role) -> String {
    let name = role.label().to_lowercase();
    if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

#[component]
pub fn RoleChoice(
    /// The group's name, e.g. "Role".
    legend: &'static str,
    /// Prefix of the radios' ids, unique on the page.
    id: &'static str,
    /// The chosen role's name (`Role::as_str`), bound both ways.
    value: RwSignal<String>,
    /// The message shown under the group.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let session = use_session();
    let actor = session
        .0
        .with_untracked(|s| s.as_ref().map(|s| s.user.role));
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <fieldset
            class="field"
            class:field-invalid=move || error.with(Option::is_some)
            aria-describedby=move || error.with(Option::is_some).then(|| described.clone())
        >
            <legend>{legend}</legend>
            <div class="choices choice-cards">
                {Role::ALL
                    .into_iter()
                    .filter(|r| actor.is_some_and(|a| a.may_grant(*r)))
                    .map(|role| {
                        let radio = format!("{id}-{}", role.as_str());
                        let hint = format!("{radio}-hint");
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    id=radio.clone()
                                    name=id
                                    value=role.as_str()
                                    aria-describedby=hint.clone()
                                    prop:checked=move || value.with(|v| v == role.as_str())
                                    on:change=move |_| value.set(role.as_str().to_owned())
                                />
                                <label for=radio>{role.label()}</label>
                                <span class="choice-hint" id=hint>
                                    {role_summary(role)}
                                </span>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
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
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_says_what_it_adds_from_the_table() {
        assert_eq!(
            role_summary(Role::Viewer),
            "Can see projects, credentials, webhooks, deliveries and the team, and change nothing."
        );
        assert_eq!(
            role_summary(Role::Developer),
            "Everything a viewer can, and create, roll and revoke credentials, and manage webhooks; \
             create, rename and delete projects."
        );
        assert_eq!(
            role_summary(Role::Admin),
            "Everything a developer can, and invite members, change their roles and deactivate them (not superadmins)."
        );
        assert_eq!(
            role_summary(Role::Superadmin),
            "Everything an admin can, and manage superadmins and the organisation's settings."
        );
    }
}
