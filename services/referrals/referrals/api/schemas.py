"""Request and response bodies of the referrals API (pydantic: validation and the OpenAPI schemas).

Validation errors name the field with a dotted path (`client.personal_identity_code`), so the
identity code and birth date checks live here as field validators rather than in the handler.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (AwareDatetime, BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, ValidationInfo,
                      field_validator)
from pydantic_core import PydanticCustomError

from shared.contracts.events import DeclineReason, Need, Outcome, ReferralStatus
from shared.db import utcnow
from shared.paging import PageQuery

from referrals.domain import identity

UserWithdrawReason = Literal["client_request", "duplicate", "sent_in_error", "other"]
ConsentMethod = Literal["written", "oral", "electronic"]
Text = Field(default=None, max_length=4000)


def _iso_text(value):
    """Dates and times as ISO 8601 text only (pydantic would also take numbers as Unix times)."""
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-":
        return value
    raise PydanticCustomError("iso_8601", "Expected an ISO 8601 date or date-time string.")


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
IsoDate = Annotated[date, BeforeValidator(_iso_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- requests -------------------------------------------------------------------------------

class ClientIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    personal_identity_code: str | None = Field(default=None, max_length=11, examples=["010504A902T"],
                                               description="Optional; temporary codes (900-999) are accepted.")
    birth_date: IsoDate | None = Field(default=None, validate_default=True,
                                    description="Required without an identity code; must match it when both are given.")
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description="ISO 639 code, e.g. fi, sv, en")

    @field_validator("personal_identity_code")
    @classmethod
    def _valid_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return identity.normalise(value)
        except identity.InvalidIdentityCode as exc:
            raise PydanticCustomError("personal_identity_code", str(exc)) from exc

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        if "personal_identity_code" not in info.data:
            return value  # the code itself is invalid: that is the error to fix first
        code = info.data["personal_identity_code"]
        if value is None:
            if code is None:
                raise PydanticCustomError("birth_date_required", "Required when no personal identity code is given.")
            return identity.birth_date_of(code)
        if value > utcnow().date() + timedelta(days=1):
            raise PydanticCustomError("birth_date", "The birth date is in the future.")
        if code is not None and identity.birth_date_of(code) != value:
            raise PydanticCustomError("birth_date", "Does not match the personal identity code.")
        return value


class ConsentIn(Strict):
    given: bool = Field(strict=True, description="Must be true: no referral without the client's consent.",
                        json_schema_extra={"const": True})
    method: ConsentMethod
    given_at: IsoDatetime
    expires_at: IsoDatetime | None = None

    @field_validator("given")
    @classmethod
    def _must_be_given(cls, value: bool) -> bool:
        if value is not True:
            raise PydanticCustomError("consent_required", "The client's consent is required for a referral.")
        return value

    @field_validator("given_at")
    @classmethod
    def _not_in_future(cls, value: datetime) -> datetime:
        if value > utcnow() + timedelta(minutes=5):
            raise PydanticCustomError("given_at", "Consent cannot be given in the future.")
        return value

    @field_validator("expires_at")
    @classmethod
    def _after_given(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        given_at = info.data.get("given_at")
        if value is not None and given_at is not None and value <= given_at:
            raise PydanticCustomError("expires_at", "Consent must expire after it was given.")
        if value is not None and value <= utcnow():
            raise PydanticCustomError("expires_at", "The consent has already expired.")
        return value


class ResponsibleWorker(Strict):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = Field(default=None, max_length=254)


class CreateReferral(Strict):
    to_organisation_id: UUID
    client: ClientIn
    consent: ConsentIn
    needs: list[Need] = Field(min_length=1, max_length=9)
    reason: str | None = Text
    urgency: Literal["normal", "urgent"] = "normal"
    responsible_worker: ResponsibleWorker | None = None

    @field_validator("needs")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class DeclineBody(Strict):
    reason: DeclineReason
    note: str | None = Text


class CompleteBody(Strict):
    outcome: Outcome
    note: str | None = Text


class WithdrawBody(Strict):
    reason: UserWithdrawReason
    note: str | None = Text


class CommentBody(Strict):
    text: str = Field(min_length=1, max_length=4000)


class ReferralPath(BaseModel):
    referral_id: UUID


class TransitionHeaders(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    if_match: str | None = Field(default=None, alias="If-Match", max_length=100,
                                 description="The ETag last seen; a stale one answers 412.")


class CreateHeaders(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    idempotency_key: str | None = Field(default=None, alias="Idempotency-Key", min_length=1, max_length=200,
                                        pattern=r"^[\x21-\x7e]+$",
                                        description="Same key and body within 24 h: the same referral again.")


class ListQuery(PageQuery):
    direction: Literal["incoming", "outgoing"] | None = None
    status: ReferralStatus | None = None
    updated_since: IsoDatetime | None = None


# --- responses ------------------------------------------------------------------------------

class ClientOut(BaseModel):
    first_name: str
    last_name: str
    personal_identity_code: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None


class ConsentOut(BaseModel):
    method: ConsentMethod
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = Field(default=None, description="Who recorded the withdrawal (token subject).")
    withdrawn_by_organisation_id: UUID | None = None
    recorded_by: str


class Warning(BaseModel):
    code: Literal["open_referral_exists", "receiver_service_closed"] = Field(
        description="`open_referral_exists`: the client has an open referral to the same organisation; "
                    "`receiver_service_closed`: every service of the receiver for these needs is closed.")
    message: str


class ReferralSummary(BaseModel):
    """A list item: ids, organisations, statuses and dates; never client data."""

    id: UUID
    status: ReferralStatus
    version: int
    from_organisation_id: UUID
    to_organisation_id: UUID
    urgency: Literal["normal", "urgent"]
    deadline_at: datetime
    created_at: datetime
    updated_at: datetime
    received_at: datetime | None = None
    receiver_notified_at: datetime | None = Field(
        default=None, description="When the receiving organisation was first notified of it (webhook, email "
                                  "or in-app), as the notifications service reports.")


class ReferralOut(ReferralSummary):
    needs: list[Need]
    consent: ConsentOut
    client_data_visible: bool = Field(description="False for operators and, once consent has expired or been "
                                                  "withdrawn, for the receiver.")
    client_data_purged_at: datetime | None = Field(
        default=None, description="Set when the retention period after closing has passed: client data, "
                                  "reason, responsible worker and texts are gone for good.")
    client: ClientOut | None = None
    reason: str | None = None
    responsible_worker: ResponsibleWorker | None = None
    allowed_actions: list[str] = Field(description="What the caller's organisation may do now.")
    warnings: list[Warning] | None = None


class ReferralPage(BaseModel):
    items: list[ReferralSummary]
    next_cursor: str | None = None


class HistoryItem(BaseModel):
    id: UUID
    version: int
    kind: Literal["status", "comment", "consent"]
    at: datetime
    subject: str
    organisation_id: UUID | None = None
    from_status: ReferralStatus | None = None
    to_status: ReferralStatus | None = None
    code: str | None = None
    text: str | None = Field(default=None, description="Comment or note; hidden from operators and, without "
                                                       "valid consent, from the receiver.")


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None = None


class AccessLogItem(BaseModel):
    """One response that carried client data: who (token subject), from which organisation, when, where."""

    id: int
    at: datetime
    subject: str
    organisation_id: UUID | None = None
    endpoint: str


class AccessLogPage(BaseModel):
    items: list[AccessLogItem]
    next_cursor: str | None = None
