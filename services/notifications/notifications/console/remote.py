"""Each service's dead letters, read and settled at the owning service (`shared.ops`) with the
signed-in operator's own token, so each service authorises and records the action itself."""
from __future__ import annotations

from urllib.parse import quote

import httpx

from notifications.ops.hub_state import TIMEOUT_SECONDS, service_urls

ACTIONS = ("replay", "discard")


def base_urls(settings, own_url: str) -> dict[str, str]:
    """Where each service answers; this service at the URL the operator reached it by."""
    urls = {**service_urls(settings), "notifications": own_url}
    return {name: url.rstrip("/") for name, url in sorted(urls.items())}


def dead_letters(urls: dict[str, str], token: str, limit: int = 100) -> list[dict]:
    """Per service: `{"service", "items", "error"}` (error set when the service did not answer)."""
    answers = []
    with httpx.Client(timeout=TIMEOUT_SECONDS, headers={"Authorization": f"Bearer {token}"}) as client:
        for name, url in urls.items():
            answer = {"service": name, "items": [], "error": None}
            try:
                response = client.get(f"{url}/v1/ops/dead-letters", params={"limit": limit})
                if response.status_code == 200:
                    answer["items"] = response.json()["items"]
                else:
                    answer["error"] = f"HTTP {response.status_code}"
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                answer["error"] = type(exc).__name__
            answers.append(answer)
    return answers


def settle(url: str, token: str, event_id: str, action: str) -> int:
    """POST replay|discard to the owning service; its HTTP status (0 when it did not answer)."""
    assert action in ACTIONS
    try:
        response = httpx.post(f"{url}/v1/ops/dead-letters/{quote(event_id, safe='')}/{action}",
                              headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return 0
    return response.status_code
