//! Roles and what each may do: the table of DESIGN.md, read by the server to
//! enforce and by the app to hide what a role can't do.

use serde::{Deserialize, Serialize};

/// A member's role in their organisation, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Superadmin,
    Admin,
    Developer,
    Viewer,
}

/// Something a member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// View projects, credential metadata, webhooks, deliveries, members.
    View,
    /// Create/roll/revoke credentials; create/edit/delete webhooks; send tests, redeliver.
    ManageCredentialsAndWebhooks,
    /// Create, rename and delete projects.
    ManageProjects,
    /// Invite, resend and revoke invitations; change roles; deactivate non-superadmins.
    ManageTeam,
    /// Grant, change or deactivate superadmins; change organisation settings.
    ManageOrganisation,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Superadmin, Role::Admin, Role::Developer, Role::Viewer];

    /// The DESIGN.md permission table.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            View => true,
            ManageCredentialsAndWebhooks | ManageProjects => self != Role::Viewer,
            ManageTeam => matches!(self, Role::Superadmin | Role::Admin),
            ManageOrganisation => self == Role::Superadmin,
        }
    }

    /// Whether a member with this role may give `other` to someone (by invitation
    /// or role change): admins manage everyone but superadmins.
    pub fn may_grant(self, other: Role) -> bool {
        match other {
            Role::Superadmin => self.can(Permission::ManageOrganisation),
            _ => self.can(Permission::ManageTeam),
        }
    }

    /// Granting this role (by invitation or by a role change) is a
    /// sensitive action that needs the granter's security PIN.
    pub fn grant_needs_pin(self) -> bool {
        matches!(self, Role::Superadmin | Role::Admin)
    }

    /// The word shown in the UI and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
        }
    }

    /// The role's name as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Superadmin => "Superadmin",
            Role::Admin => "Admin",
            Role::Developer => "Developer",
            Role::Viewer => "Viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn table_matches_the_design() {
        let rows = [
            (View, [true, true, true, true]),
            (ManageCredentialsAndWebhooks, [true, true, true, false]),
            (ManageProjects, [true, true, true, false]),
            (ManageTeam, [true, true, false, false]),
            (ManageOrganisation, [true, false, false, false]),
        ];
        for (permission, expected) in rows {
            let got = Role::ALL.map(|r| r.can(permission));
            assert_eq!(got, expected, "{permission:?}");
        }
    }

    #[test]
    fn admins_cannot_grant_superadmin() {
        assert!(Role::Superadmin.may_grant(Role::Superadmin));
        assert!(!Role::Admin.may_grant(Role::Superadmin));
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(!Role::Developer.may_grant(Role::Viewer));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
