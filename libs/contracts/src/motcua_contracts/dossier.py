"""Value objects that several events share: who applied, what they filed, how the result goes back,
and the dossier facts each stage hands on to the next so no stage has to ask another."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import Sealed, SealedData, SealedField, filled_fields

Channel = Literal["online", "counter", "postal"]
# The files a dossier may hold, judged from their bytes when they were stored (motcua_files).
MediaType = Literal["application/pdf", "image/jpeg", "image/png"]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    full_name: str = Field(min_length=1, max_length=200, description="Applicant's full name.",
                           examples=["Nguyễn Văn An"])
    id_number: str = Field(pattern=r"^[0-9]{9}$|^[0-9]{12}$",
                           description="Citizen ID (12 digits) or old ID card (9 digits).",
                           examples=["010203004567"])
    phone: str = Field(pattern=r"^\+?[0-9]{9,12}$", description="Phone number.",
                       examples=["0912345678"])
    email: EmailStr | None = Field(default=None, description="E-mail for notifications.")
    address: str = Field(min_length=1, max_length=500, description="Permanent or contact address.",
                         examples=["Số 1 Hoàng Liên, phường Cốc Lếu, Lào Cai"])


class Document(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    # `\S`: not blank (the value is stripped before min_length counts).
    name: str = Field(min_length=1, max_length=300, pattern=r"\S", description="Kind of "
                      "document, as the procedure names it.", examples=["Tờ khai"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the scanned file (hex).")
    size: JsonInt = Field(gt=0, le=50_000_000, description="File size in bytes.")
    media_type: MediaType | None = Field(
        default=None, description="The stored file's type, judged from its bytes when intake "
        "stored it. Absent on events written before files were stored (a compatible change: "
        "schema version 1 still). The file itself never travels on the topic: whoever reads it "
        "from the store checks it against `sha256`.")

    @model_serializer(mode="wrap")
    def _without_absent_type(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An old document serialises as it was written ({name, sha256, size}), not with a null.
        document: dict[str, Any] = handler(self)
        if document.get("media_type") is None:
            document.pop("media_type", None)
        return document


class Delivery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    channel: Literal["counter", "postal", "online"] = Field(
        description="How the applicant wants the result back.")
    address: str | None = Field(default=None, max_length=500,
                                description="Postal address; required for the postal channel.")


class DeliveryChoice(BaseModel):
    """How the applicant wants the result back, as events carry it: the postal address sealed
    (personal data, motcua_contracts.sealed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: Literal["counter", "postal", "online"] = Field(
        description="How the applicant wants the result back.")
    address: SealedField | None = Field(
        default=None, description="Postal address (sealed); present for the postal channel.")


class ProcedureTerms(BaseModel):
    """The procedure as the dossier is handled: what the catalogue version and case it was
    received under say, as intake read them at acceptance (docs/catalogue.md). Every later
    stage decides by these, not by the catalogue it runs on, so a version imported while the
    dossier is in flight changes none of its steps."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(max_length=500, description="The procedure's name (TENTTHC).")
    officer_stages: list[str] = Field(
        default_factory=list, max_length=5,
        description="The stages where an officer decides (others: the automatic policy).")
    coordinating_agencies: list[str] = Field(
        default_factory=list, max_length=50,
        description="The agencies the competent one consults (liên thông).")
    required_data: list[str] = Field(
        default_factory=list, max_length=100,
        description="The form fields appraisal's automatic rule requires (see `data_filled`).")
    supplement_clock: Literal["pause", "restart"] = Field(
        description="Whether the clock pauses or restarts while a supplement is awaited.")
    result_title: str = Field(default="", max_length=200,
                              description="What the result is called (KETQUATHUCHIEN); empty: "
                                          "signing's own table decides.")


class DossierFacts(BaseModel):
    """What a stage needs to know about a dossier to do its work, carried on every hand-off."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(description="Dossier code `{agency e-ID}-{YYMMDD}-{NNNN}`.",
                      examples=["000.00.15.H38-251124-0007"])
    procedure_code: str = Field(description="Code of the administrative procedure.",
                                examples=["1.001234"])
    applicant: SealedField = Field(
        description="The applicant (an Applicant object, sealed under the dossier's data key): "
                    "the name on the result document, the e-mail for notices.")
    received_at: AwareDatetime = Field(description="When intake received the dossier.")
    due_at: AwareDatetime | None = Field(
        default=None, description="Appointment for the result (form 01); null before acceptance.")
    delivery_channel: Literal["counter", "postal", "online"] = Field(
        description="How the result goes back to the applicant.")
    delivery_address: SealedField | None = Field(
        default=None,
        description="Postal address for the postal channel (sealed; the post office delivers "
                    "there).")
    data: SealedData | None = Field(
        default=None,
        description="The procedure's form data the applicant submitted (an object: the child's "
                    "name, a date of birth, a parcel's owner...), sealed under the dossier's data "
                    "key: it identifies people. Schema version 3; before it, in clear.")
    data_filled: list[str] = Field(
        default_factory=list, max_length=100,
        description="Which of the procedure's required form fields (catalogue names) were given "
                    "a value: what appraisal's automatic rule checks, without opening `data`.")
    channel: Channel = Field(default="counter", description="How the dossier was filed (the "
                                                            "fee depends on it).")
    fees_paid: JsonInt = Field(default=0, ge=0, description="Fees (đồng) paid so far.")
    supplements_requested: JsonInt = Field(
        default=0, ge=0, description="Supplement requests so far; a second one makes the dossier "
                                     "count as late.")
    step_due_at: dict[str, AwareDatetime] = Field(
        default_factory=dict,
        description="Deadline of each stage by the procedure's step plan, counted in working "
                    "hours from intake (stage name -> time).")
    rescheduled_from: AwareDatetime | None = Field(
        default=None,
        description="The first appointment, once an apology (form 04) has set a new `due_at`. "
                    "On-time is judged against it: a rescheduled dossier still counts as late.")
    catalogue_version: JsonInt | None = Field(
        default=None, ge=1,
        description="The catalogue version the dossier was received under (DossierSubmitted); "
                    "absent: the catalogue shipped with the code.")
    case_code: str | None = Field(
        default=None, max_length=32,
        description="The procedure's case applied for; absent: its default case.")
    receiving_unit: str | None = Field(
        default=None, max_length=16,
        description="The agency whose desk received the dossier (DossierSubmitted); absent: "
                    "the code's e-ID prefix names it.")
    step_hours: dict[str, float] | None = Field(
        default=None,
        description="The step plan the deadlines were counted from (stage name -> working "
                    "hours), under the dossier's catalogue version and case: what the control "
                    "sheet judges each stage against. Absent (older events): the catalogue's.")
    fee: JsonInt | None = Field(
        default=None, ge=0,
        description="The fee (đồng) for the way it was filed, under the catalogue version and "
                    "case it was received under, as intake set it at acceptance: what the "
                    "agency asks for less `fees_paid`. Absent (older events): the stage's "
                    "catalogue gives it.")
    terms: ProcedureTerms | None = Field(
        default=None,
        description="The procedure's terms under the dossier's catalogue version and case, set "
                    "by intake at acceptance: who decides each stage, the agencies consulted, "
                    "the data required, the supplement clock, the result's title. Absent "
                    "(older events): the stage's catalogue gives them.")

    @model_validator(mode="before")
    @classmethod
    def _upcast(cls, data: Any) -> Any:
        """Schema version 1 carried `applicant_name` in clear: read it as a clear `applicant`.
        Versions 1 and 2 carried `data` in clear and no `data_filled`: it is what they filled."""
        if not isinstance(data, dict):
            return data
        if "applicant" not in data and "applicant_name" in data:
            data = {**data, "applicant": Sealed.clear("", {"full_name": data["applicant_name"]})}
        form = data.get("data")
        if "data_filled" not in data and isinstance(form, dict) and "ciphertext" not in form:
            data = {**data, "data_filled": filled_fields(form)}
        return data
