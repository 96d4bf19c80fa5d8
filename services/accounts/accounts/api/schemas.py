"""Request and response bodies of accounts' API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from stdnum.fi import ytunnus

from shared.auth import SCOPES
from shared.contracts.events import Capacity, Need, OrganisationType
from shared.paging import PageQuery
from shared.web import COMMON_ERRORS, problem_responses

# Names and labels: one line of printable text (no control characters, so no NUL either).
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
Scope = Literal[SCOPES]  # type: ignore[valid-type]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


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


# --- service directory --------------------------------------------------------------------------

def _unique(values: list) -> list:
    if len(set(values)) != len(values):
        raise PydanticCustomError("unique", "Each value may appear only once.")
    return values


class ServiceEntryIn(Strict):
    id: UUID | None = Field(default=None, description="Keep this existing entry's id; leave out for a new entry.")
    name: Name
    needs: Annotated[list[Need], AfterValidator(_unique)] = Field(min_length=1, max_length=9)
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    languages: Annotated[list[Language], AfterValidator(_unique)] = Field(
        min_length=1, max_length=20, description="ISO 639 codes: fi, sv, en, ...")
    municipality_codes: Annotated[list[MunicipalityCode], AfterValidator(_unique)] = Field(
        default_factory=list, max_length=400, description="Where the service is offered; empty: the whole country.")
    capacity: Capacity

    @field_validator("age_max")
    @classmethod
    def _range(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("age_min")
        if value is not None and low is not None and value < low:
            raise PydanticCustomError("age_range", "age_max must not be below age_min.")
        return value


class ServiceList(RootModel[list[ServiceEntryIn]]):
    """The organisation's whole directory: it replaces the current entries."""

    root: list[ServiceEntryIn] = Field(max_length=100)


class ServiceEntry(BaseModel):
    id: UUID
    organisation_id: UUID
    organisation_name: Name
    name: Name
    needs: list[str]
    age_min: int | None
    age_max: int | None
    languages: list[str]
    municipality_codes: list[str]
    capacity: Capacity
    updated_at: datetime


class ServiceEntries(BaseModel):
    items: list[ServiceEntry]


class ServicePage(Page):
    items: list[ServiceEntry]


class ServiceQuery(PageQuery):
    need: Need | None = None
    municipality: MunicipalityCode | None = None
    language: Language | None = None
    capacity: Capacity | None = None
    organisation_id: UUID | None = None
    age: int | None = Field(default=None, ge=0, le=120, description="Entries whose age range includes this age.")


# --- people -------------------------------------------------------------------------------------

Username = Annotated[str, BeforeValidator(lambda value: value.strip().lower() if isinstance(value, str) else value),
                     StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


class PersonCreate(Strict):
    username: Username = Field(description="Lower-case letters, digits, `.`, `_` and `-`; 3–64 characters.")
    name: Line = Field(description="Shown to the organisation's admins; never put in tokens.")
    role: Literal["counsellor", "org_admin"]


class OperatorCreate(Strict):
    username: Username
    name: Line


class PersonPatch(Strict):
    role: Literal["counsellor", "org_admin"] | None = None
    active: bool | None = None


class Person(BaseModel):
    id: UUID
    organisation_id: UUID | None
    username: str
    name: str
    role: Literal["counsellor", "org_admin", "operator"]
    active: bool
    enrolled: bool = Field(description="Has set a password and a second factor.")
    locked_until: datetime | None
    created_at: datetime


class PersonInvited(Person):
    invitation_url: str = Field(description="One-time link to set a password and enrol TOTP; shown only here.")
    invitation_expires_at: datetime


class PersonPage(Page):
    items: list[Person]


class PersonPath(BaseModel):
    id: UUID
    person_id: UUID


class OperatorPath(BaseModel):
    person_id: UUID


# --- audit log ----------------------------------------------------------------------------------

class AuditEntry(BaseModel):
    id: UUID
    at: datetime
    actor: dict = Field(description="`subject`, `kind` (person, api_client, system) and `organisation_id`.")
    action: str = Field(description="e.g. organisation.updated, api_client.revoked, person.role_changed")
    target_type: str
    target_id: str
    organisation_id: UUID | None
    changes: dict = Field(description="Changed fields (`{from, to}`); a secret only as \"(changed)\".")


class AuditPage(Page):
    items: list[AuditEntry]


class AuditQuery(PageQuery):
    organisation_id: UUID | None = Field(default=None, description="Operators only; an admin sees its own.")
    action: str | None = Field(default=None, max_length=64, pattern=r"^[a-z_.]+$")


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
                   "unsupported_grant_type", "invalid_scope", "temporarily_unavailable"]
    error_description: str | None = None


class Jwks(BaseModel):
    keys: list[dict]


class OpenIdConfiguration(BaseModel):
    issuer: str
    jwks_uri: str
    token_endpoint: str
    authorization_endpoint: str
    end_session_endpoint: str
    code_challenge_methods_supported: list[str]
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]
    subject_types_supported: list[str]
