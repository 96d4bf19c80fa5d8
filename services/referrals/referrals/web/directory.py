"""Who can receive a referral: accounts' service directory, and organisation names for the pages.

The directory lives in accounts (`GET /v1/services`), asked with the signed-in person's own token.
When accounts cannot answer, the form still works: it offers every active organisation that
referrals knows from accounts' events, so a counsellor is never stuck.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import sqlalchemy as sa
from flask import current_app

from referrals.models import Organisation
from referrals.web.labels import CAPACITY, label


@dataclass(frozen=True)
class Receiver:
    organisation_id: str
    name: str
    detail: str  # the service's name, languages and capacity, as one line


def localised(names: dict | None, locale: str) -> str:
    """A {"fi": ..., "sv": ..., "en": ...} name in `locale`, else Finnish, else any."""
    names = names or {}
    return names.get(locale) or names.get("fi") or next(iter(names.values()), "")


def organisation_names(runtime, ids, locale: str) -> dict[str, str]:
    wanted = {uuid.UUID(str(i)) for i in ids if i and _is_uuid(i)}
    if not wanted:
        return {}
    with runtime.sessions() as session:
        rows = session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all()
    return {str(row.id): localised(row.name, locale) for row in rows}


def active_organisations(runtime, locale: str, *, excluding: str | None) -> list[Receiver]:
    with runtime.sessions() as session:
        rows = session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.active)).all()
    receivers = [Receiver(str(row.id), localised(row.name, locale), "") for row in rows if str(row.id) != excluding]
    return sorted(receivers, key=lambda receiver: receiver.name.casefold())


class DirectoryUnavailable(Exception):
    """accounts did not answer the directory query (down, or an older version without it)."""


def search(token: str, locale: str, *, need: str | None, municipality: str | None, language: str | None,
           excluding: str | None) -> list[Receiver]:
    params = {key: value for key, value in (("need", need), ("municipality", municipality),
                                            ("language", language)) if value}
    params["limit"] = 200
    url = current_app.extensions["hub.runtime"].settings.accounts_url.rstrip("/") + "/v1/services"
    try:
        response = httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
        response.raise_for_status()
        items = response.json()["items"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    entries = [item for item in items if isinstance(item, dict) and str(item.get("organisation_id")) != excluding]
    names = organisation_names(current_app.extensions["hub.runtime"],
                               [item.get("organisation_id") for item in entries],
                               locale)
    services: dict[str, list[str]] = {}  # an organisation once, with each of its matching services
    for item in entries:
        organisation_id = str(item.get("organisation_id"))
        if organisation_id not in names:
            continue  # not (yet) known to referrals: a referral to it would be refused
        service = localised(item.get("name"), locale)
        languages = "/".join(item.get("languages") or [])
        services.setdefault(organisation_id, []).append(
            " · ".join(filter(None, [service, languages, label(CAPACITY, item.get("capacity"))])))
    return [Receiver(organisation_id, names[organisation_id], "; ".join(details))
            for organisation_id, details in services.items()]


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
