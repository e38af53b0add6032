//! The typed client of the portal API. One error type tells a network failure
//! from the server's JSON error body; a 401 anywhere sends the user to sign in.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder, Response};
use portal_contract::accounts::{
    MailSentOut, OrganisationOut, OrganisationPatch, OrganisationUsage, PasswordChangeIn,
    PinChangeIn, ProfilePatch, SessionIn, SessionOut, SignUpConfirmIn, SignUpIn, SignUpResendIn,
    UserOut,
};
use portal_contract::credentials::{
    CredentialIn, CredentialList, CredentialOut, CredentialRevokeIn, CredentialRollIn,
    CredentialSecretOut, OverviewOut,
};
use portal_contract::projects::{
    ProjectDeleteIn, ProjectIn, ProjectList, ProjectOut, ProjectPatch,
};
use portal_contract::team::{
    InvitationAcceptIn, InvitationIn, InvitationList, InvitationLookupOut, InvitationOut,
    InvitationResendIn, MemberListQuery, MemberOut, MemberPage, MemberPatch, percent_encode,
};
use portal_contract::webhooks::{
    DeliveryDetail, DeliveryOut, DeliveryPage, DeliveryQuery, EndpointIn, EndpointList,
    EndpointOut, EndpointPatch, EndpointSecretOut, EndpointTestIn, EventTypeList, SecretRevealIn,
    SecretRotateIn,
};
use portal_contract::{ErrorBody, ErrorCode, FieldErrors, REQUEST_HEADER, REQUEST_HEADER_VALUE};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The request never got an answer (offline, server down).
    Network(String),
    /// The server answered with an error.
    Api { status: u16, body: ErrorBody },
}

impl Error {
    /// A sentence to show the user.
    pub fn message(&self) -> String {
        match self {
            Error::Network(_) => {
                "We couldn't reach the portal. Check your connection and try again.".into()
            }
            Error::Api { body, .. } => body.message.clone(),
        }
    }

    /// The error's code, when the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { body, .. } => Some(body.code),
            Error::Network(_) => None,
        }
    }

    /// Messages by field, when the server named fields.
    pub fn fields(&self) -> Option<FieldErrors> {
        match self {
            Error::Api { body, .. } => body.fields.clone().map(FieldErrors),
            Error::Network(_) => None,
        }
    }

    /// An error built from an answer whose body isn't our JSON (a proxy's page).
    fn from_status(status: u16) -> Self {
        let message = match status {
            413 => "That's more data than the portal accepts.",
            429 => "Too many requests. Wait a moment and try again.",
            500..=599 => "The portal is having trouble. Try again in a moment.",
            _ => "Something went wrong. Try again.",
        };
        Error::Api {
            status,
            body: ErrorBody::new(ErrorCode::Unknown, message),
        }
    }
}

thread_local! {
    static ON_UNAUTHENTICATED: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Called whenever the server says the session is gone (the signed-in layout
/// sends the user to sign in).
pub fn on_unauthenticated(f: impl Fn() + 'static) {
    ON_UNAUTHENTICATED.with(|cell| *cell.borrow_mut() = Some(Rc::new(f)));
}

fn notify_unauthenticated() {
    if let Some(f) = ON_UNAUTHENTICATED.with(|cell| cell.borrow().clone()) {
        f();
    }
}

/// A call's future, boxed: the fetch is compiled once, not inlined into the
/// future of every call and of every page that awaits one (issue 14).
type Pending<T> = Pin<Box<dyn Future<Output = Result<T, Error>>>>;

/// Sends a request; a non-2xx answer becomes an [`Error`].
fn send(method: Method, path: &str, body: Option<String>) -> Pending<Response> {
    Box::pin(send_unboxed(method, path.to_owned(), body))
}

async fn send_unboxed(
    method: Method,
    path: String,
    body: Option<String>,
) -> Result<Response, Error> {
    let path = path.as_str();
    let mut builder = RequestBuilder::new(path)
        .method(method.clone())
        .header("accept", "application/json");
    if method != Method::GET {
        builder = builder.header(REQUEST_HEADER, REQUEST_HEADER_VALUE);
    }
    let request = match body {
        Some(json) => builder
            .header("content-type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|e| Error::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| Error::Network(e.to_string()))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let error = match json::<ErrorBody>(response).await {
        Ok(body) => Error::Api { status, body },
        Err(_) => Error::from_status(status),
    };
    if status == 401 && error.code() == Some(ErrorCode::Unauthenticated) {
        notify_unauthenticated();
    }
    Err(error)
}

/// Reads an answer's JSON: the browser parses it (`JSON.parse`) and
/// serde-wasm-bindgen reads the wire type from the parsed value, which is much
/// less code per type than serde_json's parser (issue 14). Only that last step
/// is generic: reading the body is one boxed future for every type.
async fn json<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    let value = parsed(response).await?;
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| Error::Network(format!("unreadable answer: {e}")))
}

fn parsed(response: Response) -> Pending<JsValue> {
    Box::pin(async move {
        let unreadable = |_| Error::Network("unreadable answer".into());
        let promise = web_sys::Response::from(response)
            .json()
            .map_err(unreadable)?;
        JsFuture::from(promise).await.map_err(unreadable)
    })
}

fn to_json(body: &impl Serialize) -> Option<String> {
    Some(serde_json::to_string(body).expect("wire types serialize"))
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Error> {
    json(send(Method::GET, path, None).await?).await
}

async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &impl Serialize,
) -> Result<T, Error> {
    json(send(method, path, to_json(body)).await?).await
}

async fn call_no_content(method: Method, path: &str, body: Option<String>) -> Result<(), Error> {
    send(method, path, body).await.map(|_| ())
}

pub async fn sign_up(input: &SignUpIn) -> Result<MailSentOut, Error> {
    call(Method::POST, "/api/signup", input).await
}

pub async fn confirm_sign_up(token: &str) -> Result<SessionOut, Error> {
    let body = SignUpConfirmIn {
        token: token.to_owned(),
    };
    call(Method::POST, "/api/signup/confirm", &body).await
}

pub async fn resend_confirmation(email: &str) -> Result<MailSentOut, Error> {
    let body = SignUpResendIn {
        email: email.to_owned(),
    };
    call(Method::POST, "/api/signup/resend", &body).await
}

pub async fn sign_in(input: &SessionIn) -> Result<SessionOut, Error> {
    call(Method::POST, "/api/session", input).await
}

pub async fn session() -> Result<SessionOut, Error> {
    get("/api/session").await
}

pub async fn sign_out() -> Result<(), Error> {
    call_no_content(Method::DELETE, "/api/session", None).await
}

pub async fn update_profile(input: &ProfilePatch) -> Result<UserOut, Error> {
    call(Method::PATCH, "/api/me", input).await
}

pub async fn change_password(input: &PasswordChangeIn) -> Result<(), Error> {
    call_no_content(Method::POST, "/api/me/password", to_json(input)).await
}

pub async fn change_pin(input: &PinChangeIn) -> Result<(), Error> {
    call_no_content(Method::POST, "/api/me/pin", to_json(input)).await
}

pub async fn update_organisation(input: &OrganisationPatch) -> Result<OrganisationOut, Error> {
    call(Method::PATCH, "/api/organisation", input).await
}

pub async fn organisation_usage() -> Result<OrganisationUsage, Error> {
    get("/api/organisation/usage").await
}

pub async fn members(query: &MemberListQuery) -> Result<MemberPage, Error> {
    get(&format!("/api/users?{}", query.to_query_string())).await
}

pub async fn update_member(id: &str, patch: &MemberPatch) -> Result<MemberOut, Error> {
    call(
        Method::PATCH,
        &format!("/api/users/{}", percent_encode(id)),
        patch,
    )
    .await
}

pub async fn invitations() -> Result<InvitationList, Error> {
    get("/api/invitations").await
}

pub async fn invite(input: &InvitationIn) -> Result<InvitationOut, Error> {
    call(Method::POST, "/api/invitations", input).await
}

pub async fn resend_invitation(
    id: &str,
    input: &InvitationResendIn,
) -> Result<InvitationOut, Error> {
    let path = format!("/api/invitations/{}/resend", percent_encode(id));
    call(Method::POST, &path, input).await
}

pub async fn revoke_invitation(id: &str) -> Result<InvitationOut, Error> {
    let path = format!("/api/invitations/{}", percent_encode(id));
    json(send(Method::DELETE, &path, None).await?).await
}

pub async fn lookup_invitation(token: &str) -> Result<InvitationLookupOut, Error> {
    get(&format!(
        "/api/invitations/lookup?token={}",
        percent_encode(token)
    ))
    .await
}

pub async fn accept_invitation(input: &InvitationAcceptIn) -> Result<SessionOut, Error> {
    call(Method::POST, "/api/invitations/accept", input).await
}

pub async fn projects() -> Result<ProjectList, Error> {
    get("/api/projects").await
}

pub async fn project(id: &str) -> Result<ProjectOut, Error> {
    get(&format!("/api/projects/{}", percent_encode(id))).await
}

pub async fn create_project(input: &ProjectIn) -> Result<ProjectOut, Error> {
    call(Method::POST, "/api/projects", input).await
}

pub async fn update_project(id: &str, patch: &ProjectPatch) -> Result<ProjectOut, Error> {
    call(
        Method::PATCH,
        &format!("/api/projects/{}", percent_encode(id)),
        patch,
    )
    .await
}

pub async fn delete_project(id: &str, input: &ProjectDeleteIn) -> Result<(), Error> {
    call_no_content(
        Method::DELETE,
        &format!("/api/projects/{}", percent_encode(id)),
        to_json(input),
    )
    .await
}

pub async fn credentials(project_id: &str) -> Result<CredentialList, Error> {
    get(&format!(
        "/api/projects/{}/credentials",
        percent_encode(project_id)
    ))
    .await
}

/// The answer carries the secret: the caller shows it once and drops it.
pub async fn create_credential(
    project_id: &str,
    input: &CredentialIn,
) -> Result<CredentialSecretOut, Error> {
    let path = format!("/api/projects/{}/credentials", percent_encode(project_id));
    call(Method::POST, &path, input).await
}

/// The answer carries the new secret: the caller shows it once and drops it.
pub async fn roll_credential(
    id: &str,
    input: &CredentialRollIn,
) -> Result<CredentialSecretOut, Error> {
    let path = format!("/api/credentials/{}/roll", percent_encode(id));
    call(Method::POST, &path, input).await
}

pub async fn revoke_credential(
    id: &str,
    input: &CredentialRevokeIn,
) -> Result<CredentialOut, Error> {
    let path = format!("/api/credentials/{}", percent_encode(id));
    call(Method::DELETE, &path, input).await
}

pub async fn overview() -> Result<OverviewOut, Error> {
    get("/api/overview").await
}

pub async fn event_types() -> Result<EventTypeList, Error> {
    get("/api/event-types").await
}

pub async fn webhooks(project_id: &str) -> Result<EndpointList, Error> {
    get(&format!(
        "/api/projects/{}/webhooks",
        percent_encode(project_id)
    ))
    .await
}

/// The answer carries the signing secret.
pub async fn create_webhook(
    project_id: &str,
    input: &EndpointIn,
) -> Result<EndpointSecretOut, Error> {
    let path = format!("/api/projects/{}/webhooks", percent_encode(project_id));
    call(Method::POST, &path, input).await
}

pub async fn webhook(id: &str) -> Result<EndpointOut, Error> {
    get(&format!("/api/webhooks/{}", percent_encode(id))).await
}

pub async fn update_webhook(id: &str, patch: &EndpointPatch) -> Result<EndpointOut, Error> {
    call(
        Method::PATCH,
        &format!("/api/webhooks/{}", percent_encode(id)),
        patch,
    )
    .await
}

pub async fn delete_webhook(id: &str) -> Result<(), Error> {
    call_no_content(
        Method::DELETE,
        &format!("/api/webhooks/{}", percent_encode(id)),
        None,
    )
    .await
}

/// The answer carries the signing secret.
pub async fn reveal_webhook_secret(
    id: &str,
    input: &SecretRevealIn,
) -> Result<EndpointSecretOut, Error> {
    call(
        Method::POST,
        &format!("/api/webhooks/{}/secret", percent_encode(id)),
        input,
    )
    .await
}

/// The answer carries the new signing secret.
pub async fn rotate_webhook_secret(
    id: &str,
    input: &SecretRotateIn,
) -> Result<EndpointSecretOut, Error> {
    let path = format!("/api/webhooks/{}/secret/rotate", percent_encode(id));
    call(Method::POST, &path, input).await
}

pub async fn send_test_event(id: &str, input: &EndpointTestIn) -> Result<DeliveryOut, Error> {
    call(
        Method::POST,
        &format!("/api/webhooks/{}/test", percent_encode(id)),
        input,
    )
    .await
}

pub async fn deliveries(webhook_id: &str, query: &DeliveryQuery) -> Result<DeliveryPage, Error> {
    get(&format!(
        "/api/webhooks/{}/deliveries?{}",
        percent_encode(webhook_id),
        query.to_query_string()
    ))
    .await
}

pub async fn delivery(id: &str) -> Result<DeliveryDetail, Error> {
    get(&format!("/api/deliveries/{}", percent_encode(id))).await
}

pub async fn redeliver(id: &str) -> Result<DeliveryOut, Error> {
    let path = format!("/api/deliveries/{}/redeliver", percent_encode(id));
    json(send(Method::POST, &path, None).await?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_failures_read_as_a_sentence() {
        let e = Error::Network("TypeError: Failed to fetch".into());
        assert!(e.message().starts_with("We couldn't reach the portal"));
        assert_eq!(e.code(), None);
        assert_eq!(e.fields(), None);
    }

    #[test]
    fn server_errors_keep_their_code_message_and_fields() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"code":"validation_failed","message":"Fix it.","fields":{"pin":"Use 6 digits."}}"#,
        )
        .unwrap();
        let e = Error::Api { status: 422, body };
        assert_eq!(e.code(), Some(ErrorCode::ValidationFailed));
        assert_eq!(e.message(), "Fix it.");
        assert_eq!(e.fields().unwrap().get("pin"), Some("Use 6 digits."));
    }

    #[test]
    fn answers_without_our_body_still_explain_themselves() {
        assert!(Error::from_status(502).message().contains("trouble"));
        assert!(Error::from_status(429).message().contains("Too many"));
    }
}
