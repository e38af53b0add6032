//! Projects: where an organisation's credentials and webhooks live, each in
//! one environment.

use serde::{Deserialize, Serialize};

use crate::ids::ProjectId;
use crate::validation::FieldErrors;

/// Where a project's credentials work. Fixed at creation: its secrets carry it
/// in their prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Environment::Sandbox, Environment::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sandbox => "Sandbox",
            Self::Production => "Production",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or(())
    }
}

/// Longest project name.
pub const NAME_MAX: usize = 60;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 500;

fn name(value: &str) -> Result<(), String> {
    let len = value.trim().chars().count();
    if len == 0 {
        Err("Give the project a name.".into())
    } else if len > NAME_MAX {
        Err(format!("Use at most {NAME_MAX} characters."))
    } else if value.chars().any(char::is_control) {
        Err("Remove the control characters.".into())
    } else {
        Ok(())
    }
}

fn description(value: &str) -> Result<(), String> {
    if value.chars().count() > DESCRIPTION_MAX {
        Err(format!("Use at most {DESCRIPTION_MAX} characters."))
    } else {
        Ok(())
    }
}

/// `POST /api/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub environment: Environment,
}

impl ProjectIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("name", name(&self.name))
            .check("description", description(&self.description));
        e.into_result()
    }
}

/// `PATCH /api/projects/{id}`: rename or describe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ProjectPatch {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if let Some(n) = &self.name {
            e.check("name", name(n));
        }
        if let Some(d) = &self.description {
            e.check("description", description(d));
        }
        e.into_result()
    }
}

/// `DELETE /api/projects/{id}`: deleting a project revokes its credentials,
/// so it needs the PIN as revoking one does.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectDeleteIn {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub pin: String,
}

crate::redacted_debug!(ProjectDeleteIn {} secret { pin });

impl ProjectDeleteIn {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        e.check("pin", crate::validation::pin_format(&self.pin));
        e.into_result()
    }
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectOut {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub environment: Environment,
    pub created_at: i64,
    /// Credentials not revoked.
    pub credential_count: u32,
    /// Webhook endpoints.
    pub webhook_count: u32,
}

/// `GET /api/projects`: by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectList {
    pub items: Vec<ProjectOut>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_are_checked() {
        let ok = ProjectIn {
            name: "Checkout".into(),
            description: String::new(),
            environment: Environment::Sandbox,
        };
        assert_eq!(ok.validate(), Ok(()));
        let bad = ProjectIn {
            name: "  ".into(),
            description: "x".repeat(501),
            environment: Environment::Production,
        };
        let errors = bad.validate().unwrap_err();
        assert_eq!(errors.get("name"), Some("Give the project a name."));
        assert!(errors.get("description").is_some());
        assert_eq!(ProjectPatch::default().validate(), Ok(()));
        let long = ProjectPatch {
            name: Some("n".repeat(61)),
            description: None,
        };
        assert!(long.validate().is_err());
    }

    #[test]
    fn environments_round_trip() {
        for e in Environment::ALL {
            assert_eq!(e.as_str().parse::<Environment>(), Ok(e));
        }
    }
}
