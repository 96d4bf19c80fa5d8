"""Export the JSON Schema of every event's `data` to a folder (`python -m shared.contracts.export docs/events`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from shared.contracts.events import EVENT_TYPES


def schemas() -> dict[str, dict]:
    result = {}
    for name, model in EVENT_TYPES.items():
        schema = model.model_json_schema()
        schema["$id"] = f"https://hub.example/events/{name}.json"
        schema["title"] = name
        result[name] = schema
    return result


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(target: str = "docs/events") -> None:
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (folder / f"{name}.json").write_text(render(schema))


if __name__ == "__main__":
    main(*sys.argv[1:])
