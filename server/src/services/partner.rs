//! The partner API's use cases: exchanging a client id and secret for an
//! access token (RFC 6749 client_credentials), checking a token's credential
//! on every call, and publishing partners' own events. Errors are RFC 6749
//! §5.2 / RFC 6750 bodies (`{error, error_description}`), which OAuth2
//! client libraries understand.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::credentials::Scope;
use portal_contract::ids::CredentialId;
use portal_contract::partner::{
    TOKEN_TTL_SECS, TokenOut, WhoamiCredential, WhoamiOrganisation, WhoamiOut, WhoamiProject,
};
use portal_contract::webhooks::{EventIn, EventOut, PAYLOAD_MAX, PortalEvent, event_type};

use super::quotas;
use super::work::Work;
use crate::client_address::ClientAddress;
use crate::crypto;
use crate::error::{Failure, OAuthFailure};
use crate::limits::Limit;
use crate::state::AppState;
use crate::store::credentials::{self, Caller};
use crate::store::events::Audience;
use crate::tokens::{AUDIENCE, Claims};
use crate::webhooks::events::new_event;

/// How much of a secret's hash a token carries to name its secret: enough
/// that no two secrets of a credential share it.
const SECRET_ID_BYTES: usize = 12;

/// Client ids we issue are short; longer ones are refused before they can
/// fill the rate limiter's table.
const CLIENT_ID_MAX: usize = 64;

/// An access token for the credential whose id and secret were sent,
/// narrowed to `scope` when one was asked for.
pub async fn issue_token(
    state: &AppState,
    from: ClientAddress,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> Result<TokenOut, OAuthFailure> {
    // Every request counts for its address, before any work.
    let address = from.limit_key();
    let limited = |secs| OAuthFailure::rate_limited("token requests", secs);
    state
        .limits
        .wait(&[(Limit::TokenByAddress, &address)])
        .await
        .map_err(limited)?;
    if client_id.len() > CLIENT_ID_MAX {
        return Err(OAuthFailure::invalid_client());
    }

    // The same work whether the client id exists or not: hash, one indexed read.
    let secret_hash = crypto::token_hash(secret);
    let grant = credentials::grant_for_secret(&state.store, &secret_hash).await?;
    let now = state.now();
    let grant = grant
        .filter(|g| crypto::same(g.credential_id.0.as_bytes(), client_id.as_bytes()))
        .filter(|g| g.revoked_at.is_none())
        .filter(|g| g.expires_at.is_none_or(|e| e > now))
        .filter(|g| g.secret_expires_at.is_none_or(|e| e > now))
        .filter(|g| g.organisation_status == OrganisationStatus::Approved);
    // A client id is public: a limit on all its requests would let anyone
    // keep its partner at 429. So failures count per client id (a guesser
    // slows down), and tokens issued per client id and address (the
    // partner's own pace): a stranger's failures never cost the partner.
    let Some(grant) = grant else {
        state
            .limits
            .wait(&[(Limit::TokenFailuresByClient, client_id)])
            .await
            .map_err(limited)?;
        return Err(OAuthFailure::invalid_client());
    };
    state
        .limits
        .wait(&[(
            Limit::TokenByClientAddress,
            &format!("{client_id} {address}"),
        )])
        .await
        .map_err(limited)?;

    let allowed = Scope::parse_list(&grant.scopes).unwrap_or_default();
    let scopes = match scope {
        None => allowed.clone(),
        Some(asked) => {
            let asked = Scope::parse_list(asked).ok_or_else(|| {
                OAuthFailure::new(
                    Failure::BadRequest,
                    "invalid_scope",
                    "Unknown scope: use read, write, or both.",
                )
            })?;
            if asked.is_empty() {
                allowed.clone()
            } else if asked.iter().all(|s| allowed.contains(s)) {
                asked
            } else {
                return Err(OAuthFailure::new(
                    Failure::BadRequest,
                    "invalid_scope",
                    format!(
                        "This credential may only ask for: {}.",
                        Scope::join(&allowed)
                    ),
                ));
            }
        }
    };
    let scope = Scope::join(&scopes);
    let claims = Claims {
        iss: state.signer.issuer().to_owned(),
        sub: grant.credential_id.0.clone(),
        aud: AUDIENCE.into(),
        client_id: grant.credential_id.0.clone(),
        org: grant.organisation_id.0,
        prj: grant.project_id.0,
        scope: scope.clone(),
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        jti: crypto::new_id("tok_"),
        sid: URL_SAFE_NO_PAD.encode(&secret_hash[..SECRET_ID_BYTES]),
    };
    let access_token = state.signer.sign(&claims);
    state.usage.token_issued(&grant.credential_id, now);
    metrics::counter!("portal_tokens_issued_total").increment(1);
    Ok(TokenOut {
        access_token,
        token_type: "Bearer".into(),
        expires_in: TOKEN_TTL_SECS,
        scope,
    })
}

/// The caller of a partner API endpoint: a valid access token whose
/// credential still works, checked on every call so a revoke takes effect at once.
pub struct Partner {
    pub claims: Claims,
    pub caller: Caller,
}

impl Partner {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::parse_list(&self.claims.scope).unwrap_or_default()
    }
}

/// Checks a bearer token and that its credential still works.
pub async fn partner(state: &AppState, token: &str) -> Result<Partner, OAuthFailure> {
    let now = state.now();
    let claims = state
        .signer
        .verify_fresh(token.trim(), now)
        .await
        .map_err(|r| OAuthFailure::invalid_token(r.description()))?;
    // The secret it was issued for; a token naming no secret (or not one of
    // ours) would match any of the credential's secrets, so it is refused.
    let secret = URL_SAFE_NO_PAD
        .decode(&claims.sid)
        .ok()
        .filter(|s| s.len() == SECRET_ID_BYTES)
        .ok_or_else(|| {
            OAuthFailure::invalid_token("This access token names no secret. Get a new token.")
        })?;
    let caller = credentials::caller(
        &state.store,
        &CredentialId(claims.sub.clone()),
        &secret,
        now,
    )
    .await?;
    let caller = match caller {
        None => {
            return Err(OAuthFailure::invalid_token(
                "The credential behind this access token was deleted with its project.",
            ));
        }
        Some(c) if c.revoked_at.is_some() => {
            return Err(OAuthFailure::invalid_token(
                "The credential behind this access token was revoked.",
            ));
        }
        Some(c) if c.expires_at.is_some_and(|e| e <= now) => {
            return Err(OAuthFailure::invalid_token(
                "The credential behind this access token has expired.",
            ));
        }
        Some(c) if !c.secret_live => {
            return Err(OAuthFailure::invalid_token(
                "The secret this access token was issued for was rolled or has expired. \
                 Get a new token with the credential's current secret.",
            ));
        }
        Some(c) if c.organisation_status != OrganisationStatus::Approved => {
            return Err(OAuthFailure::invalid_token(
                "The organisation behind this access token is not approved or is suspended.",
            ));
        }
        Some(c) => c,
    };
    state.usage.called(&caller.credential_id, now);
    Ok(Partner { claims, caller })
}

pub fn whoami(partner: Partner) -> WhoamiOut {
    let scopes = partner.scopes();
    let Partner { claims, caller } = partner;
    WhoamiOut {
        organisation: WhoamiOrganisation {
            id: caller.organisation_id,
            name: caller.organisation_name,
        },
        project: WhoamiProject {
            id: caller.project_id,
            name: caller.project_name,
            environment: caller.environment,
        },
        credential: WhoamiCredential {
            id: caller.credential_id,
            description: caller.description,
        },
        scopes,
        expires_at: claims.exp,
    }
}

/// May this token publish events, and is its credential within its rate?
pub async fn may_publish(state: &AppState, partner: &Partner) -> Result<(), OAuthFailure> {
    if !partner.scopes().contains(&Scope::Write) {
        let mut e = OAuthFailure::new(
            Failure::Forbidden,
            "insufficient_scope",
            "Publishing events needs a token with the write scope.",
        );
        e.challenge = Some(format!(
            "Bearer realm=\"{AUDIENCE}\", error=\"insufficient_scope\", scope=\"write\""
        ));
        return Err(e);
    }
    state
        .limits
        .wait(&[
            (Limit::EventsByCredential, partner.claims.sub.as_str()),
            (
                Limit::EventsByOrganisation,
                partner.caller.organisation_id.as_str(),
            ),
        ])
        .await
        .map_err(|secs| OAuthFailure::rate_limited("events", secs))
}

/// Writes a partner's event for its project's endpoints that want it.
pub async fn publish(
    state: &AppState,
    partner: &Partner,
    input: EventIn,
) -> Result<EventOut, OAuthFailure> {
    event_type(&input.event_type).map_err(OAuthFailure::invalid_request)?;
    if PortalEvent::parse(&input.event_type).is_some() {
        return Err(OAuthFailure::invalid_request(format!(
            "{} is one of the portal's own event types, which only the portal sends. \
             Publish a type of your own, like order.created.",
            input.event_type
        )));
    }
    if !input.data.is_object() {
        return Err(OAuthFailure::invalid_request(
            "The data field must be a JSON object.",
        ));
    }
    if input.data.to_string().len() > PAYLOAD_MAX {
        return Err(OAuthFailure::payload_too_large());
    }
    let now = state.now();
    let event = new_event(
        &partner.caller.organisation_id,
        Audience::Project(partner.caller.project_id.clone()),
        &input.event_type,
        &input.data,
        now,
    );
    quotas::may_keep_event(state, &event.organisation_id, event.size()).await?;
    let mut work = Work::begin(state).await?;
    let deliveries = work.publish(&event).await?;
    work.commit().await?;
    let message = (deliveries == 0).then(|| {
        format!(
            "No enabled endpoint of this project wants {}, so the event was not kept.",
            input.event_type
        )
    });
    Ok(EventOut {
        id: event.id,
        event_type: input.event_type,
        deliveries: deliveries as u32,
        stored: deliveries > 0,
        message,
        created_at: now,
    })
}
