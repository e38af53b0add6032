//! Typed, prefixed ids (`org_…`, `usr_…`): a user id can't be passed where an
//! organisation id is expected, and a leaked id says what it is.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The prefix every id of this type starts with.
            pub const PREFIX: &'static str = $prefix;

            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An organisation (partner account).
    OrganisationId,
    "org_"
);
id_type!(
    /// A user of an organisation.
    UserId,
    "usr_"
);
id_type!(
    /// An invitation to join an organisation.
    InvitationId,
    "inv_"
);
id_type!(
    /// A project of an organisation.
    ProjectId,
    "prj_"
);
id_type!(
    /// An API credential; also its public OAuth2 client id.
    CredentialId,
    "cred_"
);
id_type!(
    /// A webhook endpoint of a project.
    EndpointId,
    "wh_"
);
id_type!(
    /// An event; also the `webhook-id` receivers deduplicate by.
    EventId,
    "msg_"
);
id_type!(
    /// One event's delivery to one endpoint, with its attempts.
    DeliveryId,
    "dlv_"
);
