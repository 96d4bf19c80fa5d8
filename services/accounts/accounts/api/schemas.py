"""Request and response bodies of accounts' API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError
from stdnum.fi import ytunnus

from shared.auth import SCOPES
from shared.contracts.events import OrganisationType
from shared.web import COMMON_ERRORS, problem_responses

# Names and labels: one line of printable text (no control characters, so no NUL either).
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
Scope = Literal[SCOPES]  # type: ignore[valid-type]


def _ytunnus(value: str) -> str:
    try:
        return ytunnus.format(ytunnus.validate(value))
    except ValueError:
        raise PydanticCustomError("ytunnus", "Not a valid Y-tunnus (business ID), e.g. 0112038-9.") from None


BusinessId = Annotated[str, StringConstraints(max_length=20), AfterValidator(_ytunnus)]


# The error answers every operation documents (schemathesis checks answers against them).
ERRORS = {**COMMON_ERRORS, **problem_responses(409)}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Name(Strict):
    fi: Line
    sv: Line | None = None
    en: Line | None = None


class Page(BaseModel):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PageQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200, description="Opaque, from `next_cursor`.")


# --- organisations ------------------------------------------------------------------------------

class OrganisationCreate(Strict):
    name: Name
    type: OrganisationType
    business_id: BusinessId | None = Field(default=None, description="Y-tunnus; optional (an Ohjaamo is often a unit of a municipality).")
    municipality_codes: list[MunicipalityCode] = Field(default_factory=list, max_length=400,
                                                       description="Statistics Finland municipality codes, 3 digits.")
    parent_id: UUID | None = Field(default=None, description="The umbrella organisation.")
    response_deadline_days: int = Field(default=14, ge=1, le=365, description="Days a receiver has to answer a referral.")


class OrganisationPatch(Strict):
    """Only the fields given change; `business_id` and `parent_id` may be set to null."""

    name: Name | None = None
    type: OrganisationType | None = None
    business_id: BusinessId | None = None
    municipality_codes: list[MunicipalityCode] | None = Field(default=None, max_length=400)
    parent_id: UUID | None = None
    response_deadline_days: int | None = Field(default=None, ge=1, le=365)


class Organisation(BaseModel):
    id: UUID
    name: Name
    type: OrganisationType
    business_id: str | None
    municipality_codes: list[str]
    parent_id: UUID | None
    active: bool
    response_deadline_days: int
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationPage(Page):
    items: list[Organisation]


class OrganisationQuery(PageQuery):
    type: OrganisationType | None = None
    parent_id: UUID | None = None
    active: bool | None = None


class OrganisationPath(BaseModel):
    id: UUID


# --- API clients --------------------------------------------------------------------------------

class ApiClientCreate(Strict):
    name: Line
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))


class ApiClient(BaseModel):
    client_id: str
    name: str
    organisation_id: UUID | None
    scopes: list[str]
    created_at: datetime
    secret_rotated_at: datetime | None
    revoked_at: datetime | None


class ApiClientCredentials(BaseModel):
    """The only answer that shows the secret: store it now."""

    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    created_at: datetime


class ApiClientPage(Page):
    items: list[ApiClient]


class ApiClientPath(BaseModel):
    id: UUID
    client_id: str = Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")


# --- OAuth --------------------------------------------------------------------------------------

class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class OAuthError(BaseModel):
    """RFC 6749 section 5.2: the token endpoint's errors (not problem documents)."""

    error: Literal["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                   "unsupported_grant_type", "invalid_scope"]
    error_description: str | None = None


class Jwks(BaseModel):
    keys: list[dict]


class OpenIdConfiguration(BaseModel):
    issuer: str
    jwks_uri: str
    token_endpoint: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]
    subject_types_supported: list[str]
