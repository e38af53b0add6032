//! `Debug` of every server type that holds a password or PIN hash, a token
//! or session hash, a sealed secret or a mailed link shows `[redacted]`
//! instead (see `portal_contract::redacted_debug!`).

use portal_contract::Role;
use portal_contract::accounts::OrganisationStatus;
use portal_contract::ids::{EndpointId, InvitationId, OrganisationId, ProjectId, UserId};
use portal_contract::team::MemberStatus;

use crate::auth::CurrentUser;
use crate::mail::Mail;
use crate::store::endpoints::Endpoint;
use crate::store::invitations::Invitation;
use crate::store::organisations::Organisation;
use crate::store::sessions::Session;
use crate::store::users::{Confirmation, User};

const SECRET: &str = "s3cret-marker";

fn bytes() -> Vec<u8> {
    SECRET.as_bytes().to_vec()
}

fn assert_redacted(value: &impl std::fmt::Debug) {
    let shown = format!("{value:?} {value:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    // As bytes, the marker would print as numbers.
    let as_numbers = format!("{:?}", SECRET.as_bytes());
    assert!(
        !shown.contains(&as_numbers[1..as_numbers.len() - 1]),
        "{shown}"
    );
    assert!(shown.contains("[redacted]"), "{shown}");
}

fn user() -> User {
    User {
        id: UserId("usr_1".into()),
        organisation_id: OrganisationId("org_1".into()),
        email: "ada@acme.test".into(),
        full_name: "Ada".into(),
        password_hash: SECRET.into(),
        pin_hash: SECRET.into(),
        role: Role::Superadmin,
        status: MemberStatus::Active,
        email_confirmed_at: None,
        pin_failed_attempts: 0,
        pin_locked_until: None,
        last_sign_in_at: None,
        created_at: 0,
    }
}

#[test]
fn users_sessions_and_links_show_no_hash() {
    assert_redacted(&user());
    assert_redacted(&Confirmation {
        token_hash: bytes(),
        user_id: UserId("usr_1".into()),
        created_at: 0,
        expires_at: 0,
        used_at: None,
    });
    assert_redacted(&Session {
        id_hash: bytes(),
        user_id: UserId("usr_1".into()),
        created_at: 0,
        last_seen_at: 0,
        expires_at: 0,
    });
    assert_redacted(&CurrentUser {
        user: user(),
        org: Organisation {
            id: OrganisationId("org_1".into()),
            name: "Acme".into(),
            status: OrganisationStatus::Approved,
            created_at: 0,
        },
        session_hash: bytes(),
        expires_at: 0,
    });
    assert_redacted(&Invitation {
        id: InvitationId("inv_1".into()),
        organisation_id: OrganisationId("org_1".into()),
        email: "grace@acme.test".into(),
        role: Role::Developer,
        token_hash: bytes(),
        invited_by: UserId("usr_1".into()),
        created_at: 0,
        expires_at: 0,
        accepted_at: None,
        accepted_user_id: None,
        revoked_at: None,
    });
}

#[test]
fn sealed_secrets_and_mail_bodies_do_not_show() {
    assert_redacted(&Endpoint {
        id: EndpointId("wh_1".into()),
        organisation_id: OrganisationId("org_1".into()),
        project_id: ProjectId("prj_1".into()),
        url: "https://example.com/hook".into(),
        description: String::new(),
        event_types: String::new(),
        enabled: true,
        disabled_reason: None,
        secret: bytes(),
        previous_secret: Some(bytes()),
        previous_secret_until: None,
        failing_since: None,
        created_at: 0,
        revision: 0,
    });
    assert_redacted(&Mail {
        to: "ada@acme.test".into(),
        subject: "Confirm your email address".into(),
        body: format!("https://portal.example.com/signup/confirm?token={SECRET}"),
    });
}
