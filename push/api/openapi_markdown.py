"""The OpenAPI document as Markdown pages for the app's developers: one page per tag.

`pages(document)` returns {file name: text}; `manage.py push_openapi --markdown DIR` writes
them. Each operation gets its method and path, what it does, its parameters and body
fields with their types and limits, an example body, and every answer it can give.
"""

import json
from typing import Any

GENERATED = (
    "<!-- Generated from the API's OpenAPI document by `manage.py push_openapi --markdown`: "
    "edit push/api/openapi/, not this file. -->"
)
MAX_LISTED_VALUES = 12


def _resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = document["components"][section][name]
    return node


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def type_of(document: dict, schema: dict) -> str:
    """A short reading of a schema: `string (≤ 255)`, `"ios" or "android"`, `integer ≥ 0`."""
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[1]}`"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        values = [f"`{json.dumps(value)}`" for value in schema["enum"]]
        if len(values) > MAX_LISTED_VALUES:
            text = f"one of {len(values)} values ({', '.join(values[:3])}, ...)"
        else:
            text = " or ".join(values)
        if "default" in schema:
            text += f" (default `{json.dumps(schema['default'])}`)"
        return text
    if "oneOf" in schema:
        return " or ".join(type_of(document, option) for option in schema["oneOf"])
    kinds = schema.get("type", "any")
    text = " or ".join(kinds) if isinstance(kinds, list) else kinds
    if text == "array":
        text = f"array of {type_of(document, schema.get('items', {}))}"
    limits = []
    if "minimum" in schema:
        limits.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        limits.append(f"≤ {schema['maximum']}")
    if "maxLength" in schema:
        limits.append(f"at most {schema['maxLength']} characters")
    if "maxItems" in schema:
        limits.append(f"at most {schema['maxItems']} items")
    if "pattern" in schema:
        limits.append(f"matching `{schema['pattern']}`")
    if "format" in schema:
        limits.append(schema["format"])
    if "default" in schema:
        limits.append(f"default `{json.dumps(schema['default'])}`")
    return f"{text} ({', '.join(limits)})" if limits else text


def _fields(document: dict, schema: dict) -> list[str]:
    schema = _resolve(document, schema)
    options = schema.get("oneOf", [schema])
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for option in options:
        option = _resolve(document, option)
        required = set(option.get("required", ()))
        for name, field in option.get("properties", {}).items():
            needed = "yes" if name in required else "no"
            description = _cell(field.get("description", ""))
            kind = _cell(type_of(document, field))
            rows.append(f"| `{name}` | {kind} | {needed} | {description} |")
    lines = rows if len(rows) > 2 else ["An empty object (`{}`) or no body."]
    if "oneOf" in schema:
        lines = ["Exactly one of the fields below.", "", *lines]
    if schema.get("description"):
        lines = [schema["description"], "", *lines]
    return lines


def _parameters(document: dict, parameters: list[dict]) -> list[str]:
    rows = ["| query parameter | type | description |", "|---|---|---|"]
    for parameter in parameters:
        schema = parameter.get("schema", {})
        description = _cell(parameter.get("description", ""))
        kind = _cell(type_of(document, schema))
        rows.append(f"| `{parameter['name']}` | {kind} | {description} |")
    return rows


def _answers(document: dict, responses: dict) -> list[str]:
    rows = ["| status | when | body |", "|---|---|---|"]
    examples = []
    for status, answer in sorted(responses.items()):
        answer = _resolve(document, answer)
        content = answer.get("content", {}).get("application/json", {})
        body = type_of(document, content.get("schema", {})) if content else ""
        headers = ", ".join(f"`{name}`" for name in answer.get("headers", {}))
        when = _cell(answer["description"] + (f" Headers: {headers}." if headers else ""))
        rows.append(f"| {status} | {when} | {body} |")
        if "example" in content:
            examples += [
                "",
                f"A {status} answer:",
                "",
                "```json",
                json.dumps(content["example"], indent=2),
                "```",
            ]
    return rows + examples


def _operation(document: dict, method: str, path: str, operation: dict) -> list[str]:
    lines = [f"## `{method.upper()} {path}`", "", f"**{operation['summary']}.**"]
    if operation.get("description"):
        lines += ["", operation["description"]]
    if operation.get("parameters"):
        lines += ["", *_parameters(document, operation["parameters"])]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        lines += ["", "Request body (JSON):", "", *_fields(document, body["schema"])]
        if "example" in body:
            example = json.dumps(body["example"], indent=2)
            lines += ["", "For example:", "", "```json", example, "```"]
    lines += ["", "Answers:", "", *_answers(document, operation["responses"])]
    return lines


def _schemas_used(document: dict, text: str) -> list[str]:
    return [name for name in document["components"]["schemas"] if f"`{name}`" in text]


def _schema_section(document: dict, names: list[str]) -> list[str]:
    lines = ["## Bodies of the answers"]
    for name in names:
        schema = document["components"]["schemas"][name]
        if "properties" not in schema and "oneOf" not in schema:
            continue
        lines += ["", f"### `{name}`", "", *_fields(document, schema)]
    return lines


def pages(document: dict[str, Any]) -> dict[str, str]:
    """Return one Markdown page per tag of `document` ({"devices.md": "...", ...})."""
    server = document["servers"][0]["url"]
    result = {}
    for tag in document.get("tags", []):
        lines = [
            GENERATED,
            "",
            f"# {tag['name']}",
            "",
            tag.get("description", ""),
            "",
            f"Paths are below `{server}`. The rules every endpoint keeps (JSON answers, "
            "slashes, unknown fields, limits, authentication) are in the document's "
            "description: [openapi.json](../openapi.json).",
        ]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if tag["name"] in operation.get("tags", ()):
                    lines += ["", *_operation(document, method, path, operation)]
        used: list[str] = []
        while True:  # the bodies' own bodies too (Preferences names QuietHours)
            text = "\n".join([*lines, *_schema_section(document, used)])
            found = _schemas_used(document, text)
            if found == used:
                break
            used = found
        lines += ["", *_schema_section(document, used)]
        result[f"{tag['name'].lower()}.md"] = "\n".join(lines).rstrip() + "\n"
    return result
