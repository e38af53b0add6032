//! The project's Settings tab: rename or describe it, or delete it behind
//! its typed name and the PIN (deleting revokes its credentials).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use portal_contract::Permission;
use portal_contract::projects::{Environment, ProjectDeleteIn, ProjectOut, ProjectPatch};

use crate::api;
use crate::components::field::{PinField, TextField};
use crate::components::form::{FormError, FormErrors};
use crate::components::modal::{Modal, ModalActions};
use crate::components::toast::use_toaster;
use crate::pages::projects::ProductionWarning;
use crate::routes::Page;
use crate::session::use_session;

#[component]
pub fn SettingsTab(project: RwSignal<ProjectOut>) -> impl IntoView {
    let session = use_session();
    let may_manage = session.can(Permission::ManageProjects);
    let deleting = RwSignal::new(false);
    view! {
        <div class="stack">
            {if may_manage {
                view! { <ProjectSettings project=project /> }.into_any()
            } else {
                view! { <p class="muted">"Your role can view this project but not change it."</p> }
                    .into_any()
            }}
            {may_manage
                .then(|| {
                    view! {
                        <section class="card danger-zone" aria-labelledby="delete-heading">
                            <h2 id="delete-heading">"Delete this project"</h2>
                            <p>
                                "Deleting a project ends everything in it for good: its API credentials stop working at once."
                            </p>
                            <button
                                type="button"
                                class="button button-danger"
                                on:click=move |_| deleting.set(true)
                            >
                                "Delete project"
                            </button>
                        </section>
                    }
                })}
        </div>
        <Show when=move || deleting.get()>
            <DeleteProjectModal project=project on_close=move || deleting.set(false) />
        </Show>
    }
}

#[component]
fn ProjectSettings(project: RwSignal<ProjectOut>) -> impl IntoView {
    let toaster = use_toaster();
    let name = RwSignal::new(project.with_untracked(|p| p.name.clone()));
    let description = RwSignal::new(project.with_untracked(|p| p.description.clone()));
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let patch = ProjectPatch {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
        };
        let validation = patch.validate();
        let id = project.with_untracked(|p| p.id.to_string());
        errors.submit(
            pending,
            validation,
            async move { api::update_project(&id, &patch).await },
            move |p| {
                name.set(p.name.clone());
                description.set(p.description.clone());
                project.set(p);
                toaster.success("The project is saved.");
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="project-settings-heading">
            <h2 id="project-settings-heading">"Settings"</h2>
            <form on:submit=on_submit novalidate>
                <FormError message=errors.form() />
                <TextField
                    label="Name"
                    required=true
                    name="name"
                    id="project-name"
                    autocomplete="off"
                    value=name
                    error=errors.field("name")
                />
                <TextField
                    label="Description"
                    name="description"
                    id="project-description"
                    autocomplete="off"
                    value=description
                    error=errors.field("description")
                />
                <button
                    type="submit"
                    class="button button-primary"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Saving…" } else { "Save project" }}
                </button>
            </form>
        </section>
    }
}

/// Deleting asks for the project's name, so the wrong one isn't deleted by a
/// slip, and the PIN, since it revokes every credential of the project.
#[component]
fn DeleteProjectModal(
    project: RwSignal<ProjectOut>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let typed = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let name = project.with_untracked(|p| p.name.clone());
    let production = project.with_untracked(|p| p.environment == Environment::Production);
    let on_submit = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let input = ProjectDeleteIn {
                pin: pin.get_untracked(),
            };
            let mut validation = input.validate().err().unwrap_or_default();
            if typed.get_untracked().trim() != name {
                validation.check("confirm", Err("Type the project's name exactly.".into()));
            }
            let (id, navigate, name) = (
                project.with_untracked(|p| p.id.to_string()),
                navigate.clone(),
                name.clone(),
            );
            errors.submit(
                pending,
                validation.into_result(),
                async move {
                    let answer = api::delete_project(&id, &input).await;
                    if answer.is_err() {
                        pin.set(String::new());
                    }
                    answer
                },
                move |()| {
                    toaster.success(format!("Project {name} deleted."));
                    on_close.run(());
                    navigate(Page::Projects.path(), Default::default());
                },
            );
        }
    };
    view! {
        <Modal title="Delete this project?" on_close=on_close>
            <form on:submit=on_submit novalidate>
                <p>
                    "Its API credentials stop working at once, and it can't be undone. Webhooks in your other projects get a "
                    <code>"credential.revoked"</code> " event for each. Type "
                    <strong>{name.clone()}</strong> " to confirm."
                </p>
                {production
                    .then(|| {
                        view! {
                            <ProductionWarning text="Live traffic that uses its credentials and webhooks stops." />
                        }
                    })}
                <FormError message=errors.form() />
                <TextField
                    label="Project name"
                    required=true
                    name="confirm"
                    id="delete-confirm"
                    autocomplete="off"
                    value=typed
                    error=errors.field("confirm")
                />
                <PinField
                    label="Your security PIN"
                    name="pin"
                    value=pin
                    error=errors.field("pin")
                />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Delete project"
                    busy="Deleting…"
                    danger=true
                />
            </form>
        </Modal>
    }
}
