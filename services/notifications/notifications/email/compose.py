"""Emails in the person's language: a subject, a plain-text body and an HTML alternative.

Rendered from Jinja templates (`email/templates/`) with the texts of `notices/texts.py`, from a
notice's ids and codes only: the message carries a link to the referral page of the web forms
(where signing in and the access log apply), never a client detail or anyone's name.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.notices.texts import code_label, kind_title, text
from notifications.settings import NotificationsSettings

#: A digest lists at most this many links per kind; the notices page has the rest.
DIGEST_LINKS_PER_KIND = 20

_templates = Environment(loader=PackageLoader("notifications.email", "templates"),
                         autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@dataclass(frozen=True)
class NoticeFacts:
    """What an email may say of a notice: ids and codes."""

    kind: str
    referral_id: uuid.UUID | None
    code: str | None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Composer:
    def __init__(self, settings: NotificationsSettings):
        self.settings = settings
        public = settings.public_url.rstrip("/")
        self.notices_url, self.settings_url = f"{public}/notices/", f"{public}/notices/settings"

    def referral_url(self, referral_id: uuid.UUID | None) -> str | None:
        return f"{self.settings.referral_pages_url}/referrals/{referral_id}" if referral_id else None

    def _render(self, name: str, lang: str, subject: str, **context) -> Rendered:
        context.update(lang=lang, subject=subject, notices_url=self.notices_url, settings_url=self.settings_url,
                       t=lambda key, **values: text(key, lang, **values),
                       kind_title=lambda kind: kind_title(kind, lang), code_label=lambda code: code_label(code, lang))
        return Rendered(subject, _templates.get_template(f"{name}.txt").render(context),
                        _templates.get_template(f"{name}.html").render(context))

    def notice(self, notice: NoticeFacts, lang: str) -> Rendered:
        code_kind = "outcome" if notice.kind == "referral.completed" else "reason"
        return self._render("notice", lang, kind_title(notice.kind, lang), notice=notice,
                            code_kind=code_kind, link=self.referral_url(notice.referral_id))

    def digest(self, notices: list[NoticeFacts], lang: str) -> Rendered:
        by_kind: dict[str, list[NoticeFacts]] = defaultdict(list)
        for notice in notices:
            by_kind[notice.kind].append(notice)
        groups = [{"kind": kind, "count": len(found),
                   "links": [link for link in (self.referral_url(n.referral_id) for n in found) if link]
                   [:DIGEST_LINKS_PER_KIND]}
                  for kind, found in sorted(by_kind.items(), key=lambda item: -len(item[1]))]
        return self._render("digest", lang, text("digest_subject", lang, n=len(notices)), groups=groups,
                            total=len(notices))


def as_email(rendered: Rendered, *, sender: str, recipient: str, lang: str, email_id: uuid.UUID,
             now) -> EmailMessage:
    """The MIME message: text first, HTML as the alternative; marked automatic so nobody auto-replies."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=email_id.hex, domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = lang  # after the content: setting the content drops Content-* headers
    return message
