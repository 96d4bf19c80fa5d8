"""What the service's HTML pages share (the operator console and people's notices): the layout
template (`templates/layout.html`), its stylesheet (`static/pages.css`), the language links, and
the front page that sends each person where they belong."""
from __future__ import annotations

from flask import redirect, request, url_for

from shared.weblogin import current_user

from notifications.console.i18n import select_language


def lang_url(code: str) -> str:
    """This page again in another language (`?lang=` is remembered for the next pages); a page that
    answered a form (a POST-only address) switches on the front page instead."""
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return url_for("front_page", lang=code)
    return url_for(request.endpoint, **(request.view_args or {}), **{**request.args.to_dict(), "lang": code})


def front_page():
    """Operators to the console, counsellors and admins to their notices; sign-in first, back here after."""
    select_language()  # remembers `?lang=`
    user = current_user()
    if user is None:
        return redirect(url_for("weblogin.login", next="/"))
    return redirect(url_for("ops_console.overview" if user.is_operator else "notice_pages.notices"))


def install_layout(app) -> None:
    app.add_template_global(lang_url, "lang_url")
    # Sign-in and sign-out land on `/`.
    app.add_url_rule("/", "front_page", front_page)
