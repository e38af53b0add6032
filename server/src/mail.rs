//! Outgoing mail: over SMTP (lettre) when `PORTAL_SMTP_URL` is set. Without
//! it the mail goes nowhere, and is printed to the log, links included, only
//! in development (`PORTAL_PRINT_MAIL`, which `make run` sets). Either way
//! the outbox table records that a mail went (or didn't), never its body:
//! the links in it are single-use keys to an account.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::Clock;
use crate::store::Store;
use crate::store::outbox::{self, NewMail};

/// A plain-text mail.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

portal_contract::redacted_debug!(Mail { to, subject } secret { body });

pub enum Mailer {
    /// No SMTP server: nothing is sent; with `print`, the whole mail goes to
    /// the log (development).
    Log { print: bool },
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// The HTTP API tests read the mail a server sends here (its SMTP path
    /// is tested against a real SMTP server). Recorded in the outbox as the
    /// log mailer would.
    #[doc(hidden)]
    Memory(std::sync::Mutex<Vec<Mail>>),
}

impl Mailer {
    pub fn from_config(smtp_url: Option<&str>, from: &str, print: bool) -> anyhow::Result<Self> {
        let Some(url) = smtp_url else {
            if print {
                tracing::warn!(
                    "no SMTP server (PORTAL_SMTP_URL): mail is printed to this log, links \
                     included (PORTAL_PRINT_MAIL), which is for development only"
                );
            } else {
                tracing::warn!(
                    "no SMTP server (PORTAL_SMTP_URL): mail is not sent, so nobody can confirm \
                     an address or accept an invitation"
                );
            }
            return Ok(Self::Log { print });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("PORTAL_SMTP_URL is not a valid SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("PORTAL_MAIL_FROM is not a valid address: {e}"))?;
        Ok(Self::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    /// Sends `mail` and records it. A failed SMTP send is recorded and logged,
    /// not returned: the action that caused the mail has already happened, and
    /// the user can ask for the mail again.
    pub async fn send(&self, store: &Store, clock: &dyn Clock, mail: Mail) -> anyhow::Result<()> {
        let now = clock.now();
        let not_sent = NewMail {
            to_address: &mail.to,
            subject: &mail.subject,
            body: None,
            transport: "log",
            status: "logged",
            error: None,
            created_at: now,
        };
        match self {
            Self::Log { print: true } => {
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
                    "mail not sent (no SMTP server); it reads:\n{}",
                    mail.body
                );
                outbox::insert(store, &not_sent).await?;
            }
            Self::Log { print: false } => {
                tracing::warn!(to = %mail.to, subject = %mail.subject, "mail not sent: no SMTP server");
                outbox::insert(store, &not_sent).await?;
            }
            Self::Memory(kept) => {
                outbox::insert(store, &not_sent).await?;
                kept.lock().unwrap_or_else(|e| e.into_inner()).push(mail);
            }
            Self::Smtp { transport, from } => {
                let result = match build(from, &mail) {
                    Ok(message) => transport
                        .send(message)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let error = result.as_ref().err().map(String::as_str);
                if let Some(error) = error {
                    tracing::error!(to = %mail.to, subject = %mail.subject, error, "mail not sent");
                } else {
                    tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
                }
                let status = if error.is_some() { "failed" } else { "sent" };
                outbox::insert(
                    store,
                    &NewMail {
                        to_address: &mail.to,
                        subject: &mail.subject,
                        body: None,
                        transport: "smtp",
                        status,
                        error,
                        created_at: now,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}

impl Mailer {
    /// A mailer that keeps what it sends, for tests.
    #[doc(hidden)]
    pub fn memory() -> Self {
        Self::Memory(std::sync::Mutex::new(Vec::new()))
    }

    /// What a memory mailer kept, oldest first.
    #[doc(hidden)]
    pub fn kept(&self) -> Vec<Mail> {
        match self {
            Self::Memory(kept) => kept.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            _ => Vec::new(),
        }
    }
}

fn build(from: &Mailbox, mail: &Mail) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(&mail.subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(mail.body.clone())?)
}
