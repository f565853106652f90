//! Outgoing mail (invitations, password resets, sign-up links) over SMTP with `lettre`; without
//! an SMTP host each message goes to the log instead.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Error;

/// What mail needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct MailOptions {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub tls: String,
    pub username: String,
    pub password: String,
    pub from: String,
    /// Base URL of links in messages.
    pub public_url: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    pub(super) public_url: String,
}

impl Mailer {
    pub fn new(o: &MailOptions) -> Result<Mailer, Error> {
        let from: Mailbox = o
            .from
            .parse()
            .map_err(|e| Error::Config(format!("email.from: {e}")))?;
        let transport = if o.smtp_host.is_empty() {
            None
        } else {
            let builder = match o.tls.as_str() {
                "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&o.smtp_host),
                "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&o.smtp_host),
                _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                    &o.smtp_host,
                )),
            }
            .map_err(|e| Error::Config(format!("email.smtp_host: {e}")))?;
            let mut builder = builder.port(o.smtp_port);
            if !o.username.is_empty() {
                builder =
                    builder.credentials(Credentials::new(o.username.clone(), o.password.clone()));
            }
            Some(builder.build())
        };
        Ok(Mailer {
            transport,
            from,
            public_url: o.public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Send a plain-text message (or log it when no SMTP server is configured).
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Error> {
        let Some(transport) = &self.transport else {
            tracing::warn!(%to, %subject, "no SMTP server configured (email.smtp_host); message:\n{body}");
            return Ok(());
        };
        let to: Mailbox = to.parse().map_err(|e| Error::BadRequest {
            code: "invalid_email",
            message: format!("cannot send mail to this address: {e}"),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| Error::Internal(format!("building a message: {e}")))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Error::Mail(e.to_string()))
    }
}
