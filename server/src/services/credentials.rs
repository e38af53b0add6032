//! API credentials: list, create, roll, revoke; and the overview the
//! quick-start checklist reads. A secret is in exactly one answer (create or
//! roll) and never in a log line.

use portal_contract::ErrorCode;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::{
    CreatedBy, CredentialIn, CredentialList, CredentialOut, CredentialRevokeIn, CredentialRollIn,
    CredentialSecretOut, CredentialStatus, OverviewOut, Scope, SecretHint,
};
use portal_contract::ids::{CredentialId, ProjectId};

use super::events::{credential_created, credential_revoked, credential_rolled};
use super::finders::find;
use super::quotas::{self, Holder};
use super::work::Work;
use crate::auth::CurrentUser;
use crate::crypto;
use crate::error::{ApiError, ApiResult, Failure};
use crate::state::AppState;
use crate::step_up::verify_pin;
use crate::store::credentials::{self, Credential, Secret};
use crate::store::endpoints;
use crate::store::events::Audience;
use crate::store::projects::Project;

/// The API's view; `secrets` are this credential's working ones (others
/// are skipped).
pub fn credential_out(c: &Credential, secrets: &[Secret], now: i64) -> CredentialOut {
    CredentialOut {
        id: c.id.clone(),
        project_id: c.project_id.clone(),
        description: c.description.clone(),
        scopes: c.scopes(),
        secrets: secrets
            .iter()
            .filter(|s| s.credential_id == c.id)
            .map(|s| SecretHint {
                hint: s.hint.clone(),
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect(),
        created_by: c.created_by.clone().map(|id| CreatedBy {
            id,
            name: c.created_by_name.clone().unwrap_or_default(),
        }),
        created_at: c.created_at,
        expires_at: c.expires_at,
        revoked_at: c.revoked_at,
        last_used_at: c.last_token_at.max(c.last_call_at),
        status: CredentialStatus::at(now, c.expires_at, c.revoked_at),
    }
}

/// Credentials come only to approved organisations.
pub(super) fn require_approved(current: &CurrentUser) -> ApiResult<()> {
    if current.org.status == OrganisationStatus::Approved {
        Ok(())
    } else {
        Err(ApiError::new(
            Failure::Forbidden,
            ErrorCode::OrgNotApproved,
            "Your organisation is waiting for approval. You can create credentials and webhook \
             endpoints once it is approved.",
        ))
    }
}

/// A roll or revoke needs a credential that still works.
fn require_working(credential: &Credential, now: i64) -> ApiResult<()> {
    let conflict = |m: &str| ApiError::new(Failure::Conflict, ErrorCode::Conflict, m);
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

pub async fn list(
    state: &AppState,
    current: &CurrentUser,
    project: &ProjectId,
) -> ApiResult<CredentialList> {
    let project: Project = find(state, current, project).await?;
    let now = state.now();
    let listed = credentials::list_for_project(&state.store, &project.id).await?;
    let secrets = credentials::secrets_for_project(&state.store, &project.id, now).await?;
    Ok(CredentialList {
        items: listed
            .iter()
            .map(|c| credential_out(c, &secrets, now))
            .collect(),
    })
}

/// A new credential; the answer is the only one that carries its secret.
pub async fn create(
    state: &AppState,
    current: &CurrentUser,
    project: &ProjectId,
    input: CredentialIn,
) -> ApiResult<CredentialSecretOut> {
    let project: Project = find(state, current, project).await?;
    input.validate().map_err(ApiError::validation)?;
    require_approved(current)?;
    let listed = credentials::list_for_project(&state.store, &project.id).await?;
    let working = listed.iter().filter(|c| c.revoked_at.is_none()).count();
    quotas::within(
        Holder::Project,
        working as i64,
        state.config.credentials_per_project,
        "working credentials",
        "Revoke one you no longer use first.",
    )?;
    verify_pin(state, &current.user, &input.pin).await?;

    let now = state.now();
    let mut scopes = input.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let credential = Credential {
        id: CredentialId(crypto::new_id(CredentialId::PREFIX)),
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
    let secret = crypto::new_client_secret(project.environment);
    let hint = crypto::secret_hint(&secret);
    let event = credential_created(current, &credential, now);
    let mut work = Work::begin(state).await?;
    credentials::insert(work.tx(), &credential).await?;
    credentials::add_secret(
        work.tx(),
        &credential.id,
        &crypto::token_hash(&secret),
        &hint,
        now,
    )
    .await?;
    work.publish(&event).await?;
    work.commit().await?;
    tracing::info!(credential = %credential.id, project = %project.id, user = %current.user.id, "credential created");
    with_secret(state, &credential, secret, now).await
}

/// The one answer that carries the credential's new secret.
async fn with_secret(
    state: &AppState,
    credential: &Credential,
    secret: String,
    now: i64,
) -> ApiResult<CredentialSecretOut> {
    let secrets = credentials::secrets(&state.store, &credential.id, now).await?;
    Ok(CredentialSecretOut {
        client_id: credential.id.clone(),
        credential: credential_out(credential, &secrets, now),
        client_secret: secret,
    })
}

/// A new secret now; the old one works until the overlap ends.
pub async fn roll(
    state: &AppState,
    current: &CurrentUser,
    id: &CredentialId,
    input: CredentialRollIn,
) -> ApiResult<CredentialSecretOut> {
    let credential: Credential = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    let now = state.now();
    require_working(&credential, now)?;
    require_approved(current)?;
    verify_pin(state, &current.user, &input.pin).await?;

    let project: Project = find(state, current, &credential.project_id).await?;
    let secret = crypto::new_client_secret(project.environment);
    let hint = crypto::secret_hint(&secret);
    let old_until = now + input.overlap.seconds();
    let event = credential_rolled(current, &credential, old_until, now);
    // The working secrets end with the overlap (at once: deleted), and the
    // new one is added.
    let mut work = Work::begin(state).await?;
    credentials::end_secrets(work.tx(), &credential.id, old_until, now).await?;
    credentials::add_secret(
        work.tx(),
        &credential.id,
        &crypto::token_hash(&secret),
        &hint,
        now,
    )
    .await?;
    work.publish(&event).await?;
    work.commit().await?;
    tracing::info!(credential = %credential.id, user = %current.user.id, overlap = input.overlap.as_str(), "credential rolled");
    with_secret(state, &credential, secret, now).await
}

/// No new tokens, and tokens already issued are refused from now on.
pub async fn revoke(
    state: &AppState,
    current: &CurrentUser,
    id: &CredentialId,
    input: CredentialRevokeIn,
) -> ApiResult<CredentialOut> {
    let credential: Credential = find(state, current, id).await?;
    input.validate().map_err(ApiError::validation)?;
    if credential.revoked_at.is_some() {
        return Err(ApiError::new(
            Failure::Conflict,
            ErrorCode::Conflict,
            "This credential is revoked already.",
        ));
    }
    verify_pin(state, &current.user, &input.pin).await?;
    let now = state.now();
    let audience = Audience::Project(credential.project_id.clone());
    let event = credential_revoked(current, &credential, audience, now);
    let mut work = Work::begin(state).await?;
    credentials::revoke(work.tx(), &credential.id, now).await?;
    work.publish(&event).await?;
    work.commit().await?;
    tracing::info!(credential = %credential.id, user = %current.user.id, "credential revoked");
    let revoked: Credential = find(state, current, id).await?;
    Ok(credential_out(&revoked, &[], now))
}

/// What the overview's quick-start checklist ticks from.
pub async fn overview(state: &AppState, current: &CurrentUser) -> ApiResult<OverviewOut> {
    let (counts, example) =
        credentials::overview(&state.store, &current.org.id, state.now()).await?;
    Ok(OverviewOut {
        projects: counts.projects as u32,
        credentials: counts.credentials as u32,
        first_token_at: counts.first_token_at,
        first_call_at: counts.first_call_at,
        example,
        failing_endpoints: endpoints::failing(&state.store, &current.org.id).await?,
    })
}
