"""The hub's three languages and how every web page picks one.

Finnish by default, Swedish and English. `?lang=xx` chooses (the language switch is a plain link, so
it works without JavaScript) and is remembered in the session under one key, `hub.lang`, that all
three services' pages use; without a choice, the browser's `Accept-Language` decides.
"""
from __future__ import annotations

from flask import request, session

LANGUAGES = ("fi", "sv", "en")
DEFAULT = "fi"
SESSION_KEY = "hub.lang"
#: Each language named in itself, for the switch.
ENDONYMS = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}


def chosen_language() -> str:
    """The request's language: `?lang=` (remembered), else the session's, else `Accept-Language`."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session[SESSION_KEY] = asked
        return asked
    if session.get(SESSION_KEY) in LANGUAGES:
        return session[SESSION_KEY]
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def remember_language(code: str) -> None:
    if code in LANGUAGES:
        session[SESSION_KEY] = code
