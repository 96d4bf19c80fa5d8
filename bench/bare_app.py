"""The bare baseline service: Flask + pydantic + SQLAlchemy Core, nothing of the hub.

Run under gunicorn by `bench.baselines` (`bench.bare_app:create_app()`, 2 sync workers), on the
database in `BENCH_DATABASE_URL`, whose tables `bench.baselines` creates before starting it:
- `POST /items`: validate the body, insert one row, answer 201 with its id (the bare POST);
- `POST /referrals`: the same, plus an outbox row and a NOTIFY in the same transaction (the bare
  POST -> outbox part of the bare pipeline; `bench.bare_pipeline` relays and consumes).
The body is the hub's referral body, so both parse the same JSON.
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask import Flask, jsonify, request
from pydantic import BaseModel, Field, ValidationError

metadata = sa.MetaData()
items = sa.Table(
    "bench_items", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("to_organisation_id", sa.Uuid, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
outbox = sa.Table(
    "bench_outbox", metadata,
    sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid, nullable=False, unique=True),
    sa.Column("type", sa.String(80), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Index("ix_bench_outbox_pending", "position", postgresql_where=sa.text("published_at IS NULL")),
)
OUTBOX_CHANNEL = "bench_outbox"


class Client(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    personal_identity_code: str | None = Field(default=None, max_length=11)
    phone: str | None = None
    email: str | None = None
    language: str = "fi"


class Consent(BaseModel):
    given: bool
    method: str
    given_at: datetime
    expires_at: datetime | None = None


class ItemIn(BaseModel):
    to_organisation_id: uuid.UUID
    client: Client
    consent: Consent
    needs: list[str] = Field(min_length=1)
    reason: str = ""
    urgency: str = "normal"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        return engine
    return sa.create_engine(url, pool_size=4, max_overflow=4)


def create_app() -> Flask:
    app = Flask(__name__)
    state: dict = {}

    def engine() -> sa.Engine:  # created lazily, i.e. after gunicorn forked the worker
        if "engine" not in state:
            state["engine"] = make_engine(os.environ["BENCH_DATABASE_URL"])
        return state["engine"]

    def parse():
        try:
            return ItemIn.model_validate_json(request.get_data()), None
        except ValidationError as exc:
            errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
            return None, (jsonify(title="invalid body", status=422, errors=errors), 422)

    def row(body: ItemIn) -> dict:
        return {"id": uuid.uuid4(), "to_organisation_id": body.to_organisation_id,
                "body": body.model_dump(mode="json"), "created_at": datetime.now(timezone.utc)}

    @app.get("/healthz")
    def healthz():
        with engine().connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return jsonify(status="ok")

    @app.post("/items")
    def create_item():
        body, error = parse()
        if error:
            return error
        values = row(body)
        with engine().begin() as connection:
            connection.execute(items.insert().values(**values))
        return jsonify(id=str(values["id"]), status="sent"), 201

    @app.post("/referrals")
    def create_referral():
        body, error = parse()
        if error:
            return error
        values = row(body)
        event = {"referral_id": str(values["id"]), "to_organisation_id": str(body.to_organisation_id),
                 "status": "sent"}
        with engine().begin() as connection:
            connection.execute(items.insert().values(**values))
            connection.execute(outbox.insert().values(id=uuid.uuid4(), type="referral.sent",
                                                      payload=json.dumps(event), created_at=values["created_at"]))
            connection.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
        return jsonify(id=str(values["id"]), status="sent"), 201

    return app
