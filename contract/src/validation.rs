//! Validation rules shared by the app (checks before submitting, messages by
//! the field) and the server (answers 422 with the same messages).

use std::collections::BTreeMap;

/// Field name → human message. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `check`'s message for `field` if it failed.
    pub fn check(&mut self, field: &str, check: Result<(), String>) -> &mut Self {
        if let Err(message) = check {
            self.0.entry(field.to_owned()).or_insert(message);
        }
        self
    }

    /// `Ok` when nothing failed.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
}

/// Shortest password accepted. Length beats composition rules (NIST SP 800-63B).
pub const PASSWORD_MIN: usize = 12;
/// Longest password accepted; bounds the argon2 input.
pub const PASSWORD_MAX: usize = 128;
/// Digits in a security PIN.
pub const PIN_LEN: usize = 6;

/// The canonical form of an email address: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible address: one `@`, something before it, a dotted domain after it.
pub fn email(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Enter your email address.".into());
    }
    let valid = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(())
    } else {
        Err("Enter an email address like name@example.com.".into())
    }
}

/// A new password: long enough, not absurdly long, not one repeated character.
pub fn new_password(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len < PASSWORD_MIN {
        return Err(format!("Use at least {PASSWORD_MIN} characters."));
    }
    if len > PASSWORD_MAX {
        return Err(format!("Use at most {PASSWORD_MAX} characters."));
    }
    let mut chars = value.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("Don't use one character repeated.".into());
    }
    Ok(())
}

/// A password being checked (sign-in, step-up): only presence matters here.
pub fn password_present(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("Enter your password.".into())
    } else if value.chars().count() > PASSWORD_MAX {
        Err(format!("Use at most {PASSWORD_MAX} characters."))
    } else {
        Ok(())
    }
}

/// Any 6-digit PIN (for checking one the user types).
pub fn pin_format(value: &str) -> Result<(), String> {
    if value.len() == PIN_LEN && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("Enter your {PIN_LEN}-digit security PIN."))
    }
}

/// A new PIN: six digits, not one repeated digit, not a straight run like 123456.
pub fn new_pin(value: &str) -> Result<(), String> {
    if !(value.len() == PIN_LEN && value.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("Use exactly {PIN_LEN} digits."));
    }
    let digits: Vec<i8> = value.bytes().map(|b| (b - b'0') as i8).collect();
    let steps: Vec<i8> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|&s| s == 0) {
        return Err("Don't use one digit repeated.".into());
    }
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Err("Don't use a run like 123456.".into());
    }
    Ok(())
}

/// A person's name as shown to their team.
pub fn full_name(value: &str) -> Result<(), String> {
    text("Enter your full name.", value, 1, 100)
}

/// An organisation's name.
pub fn organisation_name(value: &str) -> Result<(), String> {
    text("Enter your organisation's name.", value, 2, 100)
}

fn text(missing: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
    let value = value.trim();
    let len = value.chars().count();
    if len == 0 {
        Err(missing.into())
    } else if len < min {
        Err(format!("Use at least {min} characters."))
    } else if len > max {
        Err(format!("Use at most {max} characters."))
    } else if value.chars().any(char::is_control) {
        Err("Remove the control characters.".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", " Ana@Example.com ", "x.y+z@sub.example.org"] {
            assert_eq!(email(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@b.com.",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_email(" Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn passwords() {
        assert!(new_password("short").is_err());
        assert!(new_password("aaaaaaaaaaaaaaaa").is_err());
        assert!(new_password(&"ab".repeat(65)).is_err());
        assert_eq!(new_password("correct horse battery"), Ok(()));
        assert!(password_present("").is_err());
        assert_eq!(password_present("x"), Ok(()));
    }

    #[test]
    fn pins() {
        for ok in ["482915", "000001", "135790"] {
            assert_eq!(new_pin(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12a456",
            "111111",
            "123456",
            "987654",
            "４８２９１５",
        ] {
            assert!(new_pin(bad).is_err(), "{bad}");
        }
        assert_eq!(pin_format("111111"), Ok(()));
        assert!(pin_format("11111").is_err());
    }

    #[test]
    fn names() {
        assert!(full_name("   ").is_err());
        assert_eq!(full_name(" Ada Lovelace "), Ok(()));
        assert!(full_name(&"x".repeat(101)).is_err());
        assert!(organisation_name("A").is_err());
        assert!(organisation_name("Acme\u{7}").is_err());
        assert_eq!(organisation_name("Acme Ltd"), Ok(()));
    }

    #[test]
    fn field_errors_keep_the_first_message() {
        let mut errors = FieldErrors::new();
        errors
            .check("pin", Err("first".into()))
            .check("pin", Err("second".into()))
            .check("email", Ok(()));
        assert_eq!(errors.get("pin"), Some("first"));
        assert_eq!(errors.get("email"), None);
        assert!(errors.into_result().is_err());
        assert!(FieldErrors::new().into_result().is_ok());
    }
}
