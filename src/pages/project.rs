//! `/projects/:id`: a project, with its Credentials, Webhooks and Settings tabs.

mod credential_modals;
mod credentials;
pub mod secret_reveal;
mod settings;
mod webhooks;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use portal_contract::ErrorCode;
use portal_contract::projects::{Environment, ProjectOut};

use super::projects::{EnvironmentBadge, ProductionBanner};
use crate::api;
use crate::components::load_error::LoadError;
use crate::components::progress::track_progress;
use crate::format;
use crate::routes::{Page, project_href};

use credentials::CredentialsTab;
use settings::SettingsTab;
use webhooks::WebhooksTab;

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let project = LocalResource::new(move || {
        let id = id();
        async move { api::project(&id).await }
    });
    let production = move || {
        project
            .get()
            .is_some_and(|p| p.is_ok_and(|p| p.environment == Environment::Production))
    };
    view! {
        {move || production().then(|| view! { <ProductionBanner /> })}
        <p class="breadcrumb">
            <A href=Page::Projects.path()>"Projects"</A>
        </p>
        <Transition
            fallback=|| {
                view! {
                    <p class="loading visually-hidden">"Loading the project…"</p>
                    <div class="skeleton-header" aria-hidden="true">
                        <span class="skeleton-bar skeleton-title"></span>
                    </div>
                }
            }
            set_pending=track_progress()
        >
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <ProjectView project=p /> }.into_any(),
                    Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                        view! {
                            <h1>"Project not found"</h1>
                            <p>"It may have been deleted, or the link may be wrong."</p>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <h1>"Project"</h1>
                            <LoadError message=e.message() on_retry=move || project.refetch() />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ProjectView(project: ProjectOut) -> impl IntoView {
    let query = use_query_map();
    let tab = move || query.with(|q| q.get("tab").unwrap_or_default());
    let is = move |name: &'static str| move || (tab() == name).then_some("page");
    let href = project_href(project.id.as_str());
    let webhooks_href = format!("{href}?tab=webhooks");
    let settings_href = format!("{href}?tab=settings");
    let current = RwSignal::new(project);
    view! {
        <div class="page-header">
            <h1>{move || current.with(|p| p.name.clone())}</h1>
            {move || current.with(|p| view! { <EnvironmentBadge environment=p.environment /> })}
        </div>
        <p class="lead">
            {move || {
                current
                    .with(|p| {
                        if p.description.is_empty() {
                            format!("Created {}.", format::date(p.created_at))
                        } else {
                            p.description.clone()
                        }
                    })
            }}
        </p>
        <nav class="tabs" aria-label="Project">
            <A href=href exact=true>
                <span aria-current=is("")>"Credentials"</span>
            </A>
            <A href=webhooks_href>
                <span aria-current=is("webhooks")>"Webhooks"</span>
            </A>
            <A href=settings_href>
                <span aria-current=is("settings")>"Settings"</span>
            </A>
        </nav>
        {move || match tab().as_str() {
            "settings" => view! { <SettingsTab project=current /> }.into_any(),
            "webhooks" => view! { <WebhooksTab project=current /> }.into_any(),
            _ => view! { <CredentialsTab project=current /> }.into_any(),
        }}
    }
}
