"""Sending: email over SMTP, and webhooks over HTTPS.

SMTP is configured by ``TRUSTDASH_SMTP_URL`` (environment or ``secrets.toml``):

* ``smtp://user:password@host:587?starttls=1``: STARTTLS (``starttls=0``, or no query,
  sends in clear: for a relay on the same host);
* ``smtps://user:password@host:465``: TLS from the first byte.

User and password are percent-decoded (``%40`` for an ``@`` in a user name). The sender is
``TRUSTDASH_MAIL_FROM``. Certificates are verified against the system's store, or against
``TRUSTDASH_SMTP_CAFILE`` when set (a private relay's own CA). Errors name the server, never
the password: :func:`redact` removes it from any text that could carry it.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from trustdash import config
from trustdash.delivery.messages import Note

TIMEOUT_SECONDS = 20.0
_TRUE = {"1", "true", "yes", "on"}


class SendError(Exception):
    """A delivery that failed; the message says why (never with a password)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent  # retrying cannot help (a rejected address, a bad URL)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    mode: str  # "plain" | "starttls" | "tls"
    user: str | None
    password: str | None
    sender: str

    def describe(self) -> str:
        return f"{self.host}:{self.port}" + (f" as {self.user}" if self.user else "")


def smtp_settings(url: str | None = None, sender: str | None = None) -> SmtpSettings:
    """Read ``TRUSTDASH_SMTP_URL``/``TRUSTDASH_MAIL_FROM`` (or the values given)."""
    url = url or config.smtp_url()
    sender = sender or config.mail_from()
    if not url:
        raise SendError("No SMTP server: set TRUSTDASH_SMTP_URL "
                        "(smtp://user:password@host:587?starttls=1).")  # fmt: skip
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SendError(
            f"TRUSTDASH_SMTP_URL must look like smtp://user:password@host:587?starttls=1 or "
            f"smtps://user:password@host:465 (got {redact(url, url)!r})."
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "smtps":
        mode, port = "tls", parts.port or 465
    else:
        mode = "starttls" if query.get("starttls", "").lower() in _TRUE else "plain"
        port = parts.port or (587 if mode == "starttls" else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if not sender:
        sender = user if user and "@" in user else None
    if not sender:
        raise SendError("No sender address: set TRUSTDASH_MAIL_FROM.")
    return SmtpSettings(parts.hostname, port, mode, user, password, sender)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with each secret (and a URL's password) replaced by ``***``."""
    out = str(text)
    for s in secrets:
        if not s:
            continue
        try:
            pw = urlsplit(s).password
        except ValueError:
            pw = None
        for value in (pw, unquote(pw) if pw else None):
            if value:
                out = out.replace(value, "***")
    return out


def _tls_context() -> ssl.SSLContext:
    cafile = config.secret("TRUSTDASH_SMTP_CAFILE")
    return ssl.create_default_context(cafile=cafile or None)


def email_message(note: Note, to: str, sender: str) -> EmailMessage:
    """The MIME message: text, HTML with its inline images, and the attachments."""
    msg = EmailMessage()
    msg["Subject"] = f"[trustdash] {note.title}"
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(note.text)
    msg.add_alternative(note.html, subtype="html")
    html_part = msg.get_payload()[-1]
    for cid, png in note.images.items():
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{cid}.png")
    for name, mime, data in note.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    msg["Content-Language"] = note.lang  # after the parts: adding them moves Content-* down
    return msg


def send_email(note: Note, to: str, settings: SmtpSettings | None = None) -> None:
    """Send ``note`` to one address; raises :class:`SendError` with a clear message."""
    s = settings or smtp_settings()
    msg = email_message(note, to, s.sender)
    where = s.describe()
    try:
        if s.mode == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=TIMEOUT_SECONDS, context=_tls_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if s.mode == "starttls":
                client.starttls(context=_tls_context())
                client.ehlo()
            if s.user:
                client.login(s.user, s.password or "")
            refused = client.send_message(msg, from_addr=s.sender, to_addrs=[to])
        if refused:
            code, reason = next(iter(refused.values()))
            raise SendError(f"{to} refused by {where}: {code} {_text(reason)}", permanent=True)
    except SendError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()), (0, b""))
        raise SendError(f"{to} refused by {where}: {code} {_text(reason)}",
                        permanent=True) from None  # fmt: skip
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"login to {where} refused: {exc.smtp_code} "
                        f"{redact(_text(exc.smtp_error), s.password)}") from None  # fmt: skip
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"{where}: {redact(str(exc), s.password)} (check starttls=1 and "
                        "that the server offers AUTH)") from None  # fmt: skip
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"{where} answered {exc.smtp_code} "
                        f"{redact(_text(exc.smtp_error), s.password)}",
                        permanent=500 <= exc.smtp_code < 600) from None  # fmt: skip
    except ssl.SSLError as exc:
        raise SendError(f"TLS with {s.host}:{s.port} failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise SendError(f"{s.host}:{s.port} did not answer within "
                        f"{TIMEOUT_SECONDS:.0f} s") from None  # fmt: skip
    except (OSError, smtplib.SMTPException) as exc:
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SendError(f"cannot reach the SMTP server {s.host}:{s.port}: "
                        f"{redact(detail, s.password)}") from None  # fmt: skip


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> None:
    """POST ``payload`` as JSON; raises :class:`SendError` unless the answer is 2xx."""
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    req = urllib.request.Request(
        url, data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "trustdash-delivery"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) checked
            resp.read(65536)
    except urllib.error.HTTPError as exc:
        body = exc.read(300).decode("utf-8", "replace").strip()
        raise SendError(f"{where} answered HTTP {exc.code}" + (f": {body}" if body else ""),
                        permanent=exc.code in (400, 401, 403, 404, 410)) from None  # fmt: skip
    except urllib.error.URLError as exc:
        raise SendError(f"cannot reach {where}: {exc.reason}") from None
    except TimeoutError:
        raise SendError(f"{where} did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise SendError(f"cannot reach {where}: {exc}") from None
