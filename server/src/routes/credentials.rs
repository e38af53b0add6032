//! API credentials: list, create, roll, revoke; and the overview the
//! quick-start checklist reads. A secret is in exactly one answer (create or
//! roll) and never in a log line.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{
    CredentialIn, CredentialList, CredentialOut, CredentialRevokeIn, CredentialRollIn,
    CredentialSecretOut, OverviewOut, Scope,
};
use portal_contract::ids::CredentialId;
use portal_contract::projects::Environment;
use portal_contract::{ErrorBody, ErrorCode, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::crypto;
use crate::db::{self, credentials::Credential, projects::Project};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::webhooks::events::{self, Audience};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(roll_credential))
        .routes(routes!(revoke_credential))
        .routes(routes!(overview))
}

async fn own_project(state: &AppState, current: &CurrentUser, id: &str) -> ApiResult<Project> {
    db::projects::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such project in your organisation."))
}

async fn own_credential(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> ApiResult<Credential> {
    db::credentials::get(&state.db, &current.org.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no such credential in your organisation."))
}

/// Credentials come only to approved organisations.
fn require_approved(current: &CurrentUser) -> ApiResult<()> {
    if current.org.status() == OrganisationStatus::Approved {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::OrgNotApproved,
            "Your organisation is waiting for approval. You can create credentials once it is approved.",
        ))
    }
}

/// A roll or revoke needs a credential that still works.
fn require_working(credential: &Credential, now: i64) -> ApiResult<()> {
    let conflict = |m: &str| ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, m);
    if credential.revoked_at.is_some() {
        Err(conflict("This credential is revoked already."))
    } else if credential.expires_at.is_some_and(|e| e <= now) {
        Err(conflict(
            "This credential has expired. Create a new one instead.",
        ))
    } else {
        Ok(())
    }
}

/// What credential events say: the credential's public facts and who acted.
fn event_data(credential: &Credential, current: &CurrentUser) -> serde_json::Value {
    serde_json::json!({
        "credential": {
            "id": credential.id,
            "project_id": credential.project_id,
            "description": credential.description,
            "scopes": credential.scopes(),
            "expires_at": credential.expires_at,
        },
        "actor": { "id": current.user.id, "email": current.user.email },
    })
}

fn environment(project: &Project) -> Environment {
    project.environment.parse().unwrap_or(Environment::Sandbox)
}

/// A project's credentials, newest first; never their secrets.
#[utoipa::path(get, path = "/api/projects/{id}/credentials", tag = "credentials",
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 200, body = CredentialList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_credentials(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CredentialList>> {
    current.require(Permission::View)?;
    let project = own_project(&state, &current, &id).await?;
    let now = state.now();
    let (credentials, secrets) =
        db::credentials::list_for_project(&state.db, &project.id, now).await?;
    Ok(Json(CredentialList {
        items: credentials
            .iter()
            .map(|c| c.to_out(&secrets, now))
            .collect(),
    }))
}

/// Create a credential. The answer is the only one that carries its secret.
#[utoipa::path(post, path = "/api/projects/{id}/credentials", tag = "credentials",
    request_body = CredentialIn,
    params(("id" = String, Path, description = "The project's id (prj_…)")),
    responses((status = 201, body = CredentialSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Role, wrong PIN, or organisation not approved"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "PIN locked")))]
async fn create_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<CredentialIn>,
) -> ApiResult<(StatusCode, Json<CredentialSecretOut>)> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let project = own_project(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    require_approved(&current)?;
    verify_pin(&state, &current.user, &input.pin).await?;

    let now = state.now();
    let mut scopes = input.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let credential = Credential {
        id: crypto::new_id(CredentialId::PREFIX),
        organisation_id: current.org.id.clone(),
        project_id: project.id.clone(),
        description: input.description.trim().to_owned(),
        scopes: Scope::join(&scopes),
        created_by: Some(current.user.id.clone()),
        created_by_name: Some(current.user.full_name.clone()),
        created_at: now,
        expires_at: input.expires_in_days.map(|d| now + i64::from(d) * 86_400),
        revoked_at: None,
        last_token_at: None,
        last_call_at: None,
    };
    let secret = crypto::new_client_secret(environment(&project));
    let hint = crypto::secret_hint(&secret);
    let mut tx = state.db.begin().await?;
    db::credentials::insert(&mut tx, &credential, &crypto::token_hash(&secret), &hint).await?;
    events::publish(
        &mut tx,
        &current.org.id,
        Audience::Project(&project.id),
        "credential.created",
        &event_data(&credential, &current),
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    tracing::info!(credential = %credential.id, project = %project.id, user = %current.user.id, "credential created");
    let secrets = db::credentials::secrets(&state.db, &credential.id, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(CredentialSecretOut {
            client_id: CredentialId(credential.id.clone()),
            credential: credential.to_out(&secrets, now),
            client_secret: secret,
        }),
    ))
}

/// Roll a credential's secret: a new one now, the old one until the overlap ends.
#[utoipa::path(post, path = "/api/credentials/{id}/roll", tag = "credentials",
    request_body = CredentialRollIn,
    params(("id" = String, Path, description = "The credential's id (cred_…)")),
    responses((status = 200, body = CredentialSecretOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Revoked or expired"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn roll_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<CredentialRollIn>,
) -> ApiResult<Json<CredentialSecretOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let credential = own_credential(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    let now = state.now();
    require_working(&credential, now)?;
    require_approved(&current)?;
    verify_pin(&state, &current.user, &input.pin).await?;

    let project = own_project(&state, &current, &credential.project_id).await?;
    let secret = crypto::new_client_secret(environment(&project));
    let hint = crypto::secret_hint(&secret);
    let mut tx = state.db.begin().await?;
    db::credentials::roll(
        &mut tx,
        &credential.id,
        &crypto::token_hash(&secret),
        &hint,
        now,
        now + input.overlap.seconds(),
    )
    .await?;
    let mut data = event_data(&credential, &current);
    data["previous_secret_expires_at"] = (now + input.overlap.seconds()).into();
    events::publish(
        &mut tx,
        &current.org.id,
        Audience::Project(&credential.project_id),
        "credential.rolled",
        &data,
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    tracing::info!(credential = %credential.id, user = %current.user.id, overlap = input.overlap.as_str(), "credential rolled");
    let secrets = db::credentials::secrets(&state.db, &credential.id, now).await?;
    Ok(Json(CredentialSecretOut {
        client_id: CredentialId(credential.id.clone()),
        credential: credential.to_out(&secrets, now),
        client_secret: secret,
    }))
}

/// Revoke a credential: no new tokens, and tokens already issued are refused.
#[utoipa::path(delete, path = "/api/credentials/{id}", tag = "credentials",
    request_body = CredentialRevokeIn,
    params(("id" = String, Path, description = "The credential's id (cred_…)")),
    responses((status = 200, body = CredentialOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Revoked already"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn revoke_credential(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<CredentialRevokeIn>,
) -> ApiResult<Json<CredentialOut>> {
    current.require(Permission::ManageCredentialsAndWebhooks)?;
    let credential = own_credential(&state, &current, &id).await?;
    input.validate().map_err(ApiError::validation)?;
    if credential.revoked_at.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "This credential is revoked already.",
        ));
    }
    verify_pin(&state, &current.user, &input.pin).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    db::credentials::revoke(&mut tx, &credential.id, now).await?;
    events::publish(
        &mut tx,
        &current.org.id,
        Audience::Project(&credential.project_id),
        "credential.revoked",
        &event_data(&credential, &current),
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliverer.wake();
    tracing::info!(credential = %credential.id, user = %current.user.id, "credential revoked");
    let revoked = own_credential(&state, &current, &id).await?;
    Ok(Json(revoked.to_out(&[], now)))
}

/// What the overview's quick-start checklist ticks from.
#[utoipa::path(get, path = "/api/overview", tag = "credentials",
    responses((status = 200, body = OverviewOut), (status = 401, body = ErrorBody)))]
async fn overview(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<OverviewOut>> {
    current.require(Permission::View)?;
    let (counts, example) =
        db::credentials::overview(&state.db, &current.org.id, state.now()).await?;
    Ok(Json(OverviewOut {
        projects: counts.projects as u32,
        credentials: counts.credentials as u32,
        first_token_at: counts.first_token_at,
        first_call_at: counts.first_call_at,
        example,
        failing_endpoints: db::notices::failing_endpoints(&state.db, &current.org.id).await?,
    }))
}
