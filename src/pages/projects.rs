//! `/projects`: the organisation's projects, and a new one.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_contract::Permission;
use portal_contract::projects::{Environment, ProjectIn};

use crate::api;
use crate::components::field::TextField;
use crate::components::form::{FormError, FormErrors};
use crate::components::load_error::Listing;
use crate::components::modal::{Modal, ModalActions};
use crate::components::select::SelectField;
use crate::components::table::DataTable;
use crate::components::toast::use_toaster;
use crate::format;
use crate::routes::project_href;
use crate::session::use_session;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let session = use_session();
    let may_create = move || session.can(Permission::ManageProjects);
    let creating = RwSignal::new(false);
    let projects = LocalResource::new(api::projects);

    view! {
        <div class="page-header">
            <h1>"Projects"</h1>
            <Show when=may_create>
                <button
                    type="button"
                    class="button button-primary"
                    on:click=move |_| creating.set(true)
                >
                    "New project"
                </button>
            </Show>
        </div>
        <Listing
            list=projects
            loading="Loading projects…"
            columns=5
            empty="No projects yet. A project holds the API credentials and webhooks of one environment, sandbox or production."
            is_empty=|list| list.items.is_empty()
            rows=move |list| {
                let rows = list
                    .items
                    .into_iter()
                    .map(|p| {
                        let description = (!p.description.is_empty())
                            .then(|| {
                                view! {
                                    <span class="sub truncate" title=p.description.clone()>
                                        {p.description.clone()}
                                    </span>
                                }
                            });
                        view! {
                            <tr>
                                <th scope="row">
                                    <div class="cell-wide">
                                        <A href=project_href(p.id.as_str()) attr:class="truncate">
                                            {p.name.clone()}
                                        </A>
                                        {description}
                                    </div>
                                </th>
                                <td data-label="Environment">
                                    <EnvironmentBadge environment=p.environment />
                                </td>
                                <td class="numeric" data-label="Credentials">
                                    {p.credential_count}
                                </td>
                                <td class="numeric" data-label="Webhooks">
                                    {p.webhook_count}
                                </td>
                                <td data-label="Created">{format::date(p.created_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <DataTable
                        caption="Projects"
                        columns=&["Project", "Environment", "Credentials", "Webhooks", "Created"]
                        numeric=&["Credentials", "Webhooks"]
                    >
                        {rows}
                    </DataTable>
                }
            }
        />
        <Show when=move || creating.get()>
            <NewProjectModal on_close=move || creating.set(false) />
        </Show>
    }
}

/// The environment as a badge: production stands out.
#[component]
pub fn EnvironmentBadge(environment: Environment) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", environment.as_str())>{environment.label()}</span> }
}

/// Said by a destructive dialog of a production project, above its buttons.
#[component]
pub fn ProductionWarning(
    /// What the action does to live traffic.
    text: &'static str,
) -> impl IntoView {
    view! {
        <p class="banner banner-danger" role="note">
            <strong>"Production. "</strong>
            {text}
        </p>
    }
}

/// The persistent cue on every page of a production project: a band under
/// the top bar that stays while the page scrolls.
#[component]
pub fn ProductionBanner() -> impl IntoView {
    view! {
        <div class="env-banner" role="note">
            <strong>"Production"</strong>
            <span>"Live data: changes here affect your customers."</span>
        </div>
    }
}

#[component]
fn NewProjectModal(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let environment = RwSignal::new(Environment::Sandbox.as_str().to_owned());
    let errors = FormErrors::new();
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ProjectIn {
            name: name.get_untracked(),
            description: description.get_untracked(),
            environment: environment
                .get_untracked()
                .parse()
                .unwrap_or(Environment::Sandbox),
        };
        let validation = input.validate();
        let navigate = navigate.clone();
        errors.submit(
            pending,
            validation,
            async move { api::create_project(&input).await },
            move |project| {
                toaster.success(format!("Project {} created.", project.name));
                on_close.run(());
                navigate(&project_href(project.id.as_str()), Default::default());
            },
        );
    };
    let environments = Environment::ALL
        .map(|e| (e.as_str().to_owned(), e.label().to_owned()))
        .to_vec();
    view! {
        <Modal title="New project" on_close=on_close>
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
                <SelectField
                    label="Environment"
                    id="project-environment"
                    value=environment
                    options=environments
                    error=errors.field("environment")
                />
                <p class="muted">
                    "Sandbox for testing, production for live traffic. It can't be changed later: the project's secrets carry it."
                </p>
                <TextField
                    label="Description (optional)"
                    name="description"
                    id="project-description"
                    autocomplete="off"
                    value=description
                    error=errors.field("description")
                />
                <ModalActions
                    on_cancel=on_close
                    pending=pending
                    submit="Create project"
                    busy="Creating…"
                />
            </form>
        </Modal>
    }
}
