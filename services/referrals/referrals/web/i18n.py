"""Languages: Finnish by default, Swedish and English; chosen from the browser, switchable on every page.

The choice is made as on every page of the hub (shared/languages.py). Dates and times are shown in Europe/Helsinki, formatted as each language writes them.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, redirect, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_percent, get_locale

from shared.languages import DEFAULT, ENDONYMS, LANGUAGES, chosen_language, remember_language

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def install(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Helsinki")
    Babel(app, locale_selector=chosen_language, default_translation_directories=str(TRANSLATIONS))
    app.add_template_filter(lambda value: format_datetime(value, "short") if value else "", "datetime")
    app.add_template_filter(lambda value: format_date(value, "medium") if value else "", "date")
    app.add_template_filter(lambda value: format_decimal(value) if value is not None else "–", "number")
    app.add_template_filter(lambda value: format_percent(value) if value is not None else "–", "percent")

    @app.context_processor
    def _languages():
        return {"languages": [(code, ENDONYMS[code]) for code in LANGUAGES], "lang": str(get_locale())}


def switch_language(code: str):
    """The language switch: a plain link (works without JavaScript), back to the same page."""
    remember_language(code)
    target = request.args.get("next", "/")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
