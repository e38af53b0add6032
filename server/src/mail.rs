//! Outgoing mail: over SMTP (lettre) when `PORTAL_SMTP_URL` is set, otherwise
//! printed to the log. Either way the outbox table records it.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::Clock;
use crate::store::Store;
use crate::store::outbox::NewMail;

/// A plain-text mail.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

portal_contract::redacted_debug!(Mail { to, subject } secret { body });

pub enum Mailer {
    /// Development default: the log and the outbox table hold the mail.
    Log,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl Mailer {
    pub fn from_config(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let Some(url) = smtp_url else {
            return Ok(Self::Log);
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
        match self {
            Self::Log => {
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
                    "mail not sent (no SMTP configured); it reads:\n{}",
                    mail.body
                );
                store
                    .outbox()
                    .insert(&NewMail {
                        to_address: &mail.to,
                        subject: &mail.subject,
                        body: Some(&mail.body),
                        transport: "log",
                        status: "logged",
                        error: None,
                        created_at: now,
                    })
                    .await?;
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
                store
                    .outbox()
                    .insert(&NewMail {
                        to_address: &mail.to,
                        subject: &mail.subject,
                        body: None,
                        transport: "smtp",
                        status,
                        error,
                        created_at: now,
                    })
                    .await?;
            }
        }
        Ok(())
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
