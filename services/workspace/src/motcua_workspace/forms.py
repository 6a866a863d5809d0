"""A decision's form, made from its body's JSON schema in the stage's OpenAPI document
(`x-decisions` on the decide operation, motcua_runtime.work_queue): one field per property,
with its label, whether it is required, and the input its type asks for; and the submitted form
read back into the JSON body the stage takes. What the schema alone cannot check (an identity
paper, a tracking number's check digit) the stage refuses with a message the page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua_workspace.words import CHOICES, DECISIONS, FIELDS, VIETNAM, label

DECISIONS_EXTENSION = "x-decisions"
DECIDE_PATH = "/api/work-items/{item_id}/decisions/{name}"
_LONG = ("reason", "findings", "answer", "question", "decision", "note")
# What the workspace fills in from the signed-in account, never from the form (no input is
# shown): the officer's full name, which the stage's token does not carry (delivery prints it
# on the hand-over record).
FROM_ACCOUNT = ("officer_full_name",)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str  # text, textarea, lines, number, checkbox, select, datetime
    required: bool
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = None


@dataclass(frozen=True)
class DecisionForm:
    name: str
    title: str
    fields: tuple[Field, ...]
    schema: dict[str, Any] = field(repr=False, default_factory=dict)


def decision_forms(openapi: dict[str, Any], names: list[str]) -> list[DecisionForm]:
    """The forms of the decisions `names` (those the item takes now), in that order."""
    operation = openapi.get("paths", {}).get(DECIDE_PATH, {}).get("post", {})
    declared = operation.get(DECISIONS_EXTENSION, {})
    components = openapi.get("components", {}).get("schemas", {})
    forms = []
    # The decisions in the order the pages list them (the usual one first), unknown ones last.
    order = list(DECISIONS)
    for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
        reference = declared.get(name, {}).get("$ref", "")
        schema = _resolve(components, {"$ref": reference}) if reference else {}
        forms.append(DecisionForm(name, label(DECISIONS, name),
                                  tuple(_fields(components, schema)), schema))
    return forms


def _resolve(components: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        return components.get(reference.rsplit("/", 1)[1], {})
    return schema


def _unwrap(components: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field (`anyOf: [T, null]`) as T."""
    schema = _resolve(components, schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"},
                **_resolve(components, options[0])}
    return schema


def _fields(components: dict[str, Any], schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        if name in FROM_ACCOUNT:
            continue
        prop = _unwrap(components, raw)
        kind = prop.get("type")
        choices: tuple[tuple[str, str], ...] = ()
        if "enum" in prop:
            widget = "select"
            choices = tuple((str(v), label(CHOICES, str(v))) for v in prop["enum"])
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in ("integer", "number"):
            widget = "number"
        elif kind == "array":
            widget = "lines"
        elif prop.get("format") == "date-time":
            widget = "datetime"
        elif name in _LONG or prop.get("maxLength", 0) > 300:
            widget = "textarea"
        else:
            widget = "text"
        fields.append(Field(name, FIELDS.get(name) or prop.get("title") or name, widget,
                            name in required, prop.get("description", ""), choices,
                            prop.get("default")))
    return fields


def read_form(form: DecisionForm, submitted: dict[str, list[str]],
              account: Mapping[str, Any] | None = None) -> tuple[dict[str, Any],
                                                                 dict[str, str]]:
    """The JSON body for the stage, and the fields' errors (Vietnamese) when a required field
    is empty or a number or time does not read as one. `account`: the values FROM_ACCOUNT of
    the signed-in officer, put in the body where the decision's schema has them."""
    body: dict[str, Any] = {name: value for name, value in (account or {}).items()
                            if name in FROM_ACCOUNT and value
                            and name in form.schema.get("properties", {})}
    errors: dict[str, str] = {}
    for item in form.fields:
        values = submitted.get(item.name, [])
        text = values[-1].strip() if values else ""
        if item.widget == "checkbox":
            body[item.name] = text in ("true", "on", "1")
            continue
        if item.widget == "lines":
            lines = [line.strip() for line in "\n".join(values).splitlines() if line.strip()]
            if lines or item.required:
                body[item.name] = lines
            if item.required and not lines:
                errors[item.name] = f"Cần nhập {item.label.lower()}."
            continue
        if not text:
            if item.required:
                errors[item.name] = f"Cần nhập {item.label.lower()}."
            continue
        if item.widget == "number":
            try:
                body[item.name] = int(text.replace(".", "").replace(" ", ""))
            except ValueError:
                errors[item.name] = f"{item.label} phải là một số nguyên."
        elif item.widget == "datetime":
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                errors[item.name] = f"{item.label}: ngày giờ không hợp lệ."
                continue
            if moment.tzinfo is None:  # the browser's datetime-local: Vietnam time
                moment = moment.replace(tzinfo=VIETNAM)
            body[item.name] = moment.isoformat()
        else:
            body[item.name] = text
    return body, errors
