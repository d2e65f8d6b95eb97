"""The API's documentation page: the OpenAPI schema drf-spectacular generates, rendered as a plain,
accessible page in the site's layout (no Swagger UI: its page had 71 serious axe findings)."""

import functools

from django.shortcuts import render
from django.utils.safestring import mark_safe
from drf_spectacular.generators import SchemaGenerator

from meetings.markdown import render_markdown

METHODS = ("get", "post", "put", "patch", "delete")
TAG_TITLES = {
    "series": "Series, meetings, minutes and the rota",
    "research-items": "Research items",
    "resources": "The library",
    "reading-lists": "Reading lists",
}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def schema_type(schema: dict | None) -> dict:
    """{"text": "array of Resource", "ref": "Resource"}: how a schema reads in a table."""
    if not schema:
        return {"text": "", "ref": ""}
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return {"text": name, "ref": name}
    for combiner in ("allOf", "oneOf", "anyOf"):
        if combiner in schema:
            parts = [schema_type(part) for part in schema[combiner]]
            ref = next((p["ref"] for p in parts if p["ref"]), "")
            text = " or ".join(p["text"] for p in parts if p["text"])
            if schema.get("nullable"):
                text += " or null"
            return {"text": text, "ref": ref}
    kind = schema.get("type", "object")
    if kind == "array":
        inner = schema_type(schema.get("items"))
        return {"text": f"array of {inner['text'] or 'values'}", "ref": inner["ref"]}
    text = kind
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(value) for value in schema["enum"] if value not in ("", None))
    if schema.get("nullable"):
        text += " or null"
    return {"text": text, "ref": ""}


def _markdown(text: str) -> str:
    return mark_safe(render_markdown(text)) if text else ""


def _body_schema(content: dict | None) -> dict:
    if not content:
        return {"text": "", "ref": ""}
    media = content.get("application/json") or next(iter(content.values()), {})
    return schema_type(media.get("schema"))


@functools.cache
def api_docs_context() -> dict:
    """The schema as sections of operations and a list of schemas; built once per process."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    sections: dict[str, list] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            parameters = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "required": p.get("required", False),
                    "type": schema_type(p.get("schema")),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody")
            responses = [
                {
                    "code": code,
                    "description": answer.get("description", ""),
                    "type": _body_schema(answer.get("content")),
                }
                for code, answer in sorted(op.get("responses", {}).items())
            ]
            sections.setdefault(tag, []).append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": _markdown(op.get("description", "")),
                    "parameters": parameters,
                    "body": _body_schema(body["content"]) if body else None,
                    "responses": responses,
                }
            )
    schemas = []
    for name, definition in sorted(schema["components"]["schemas"].items()):
        required = set(definition.get("required", []))
        properties = [
            {
                "name": prop_name,
                "type": schema_type(prop),
                "required": prop_name in required,
                "read_only": prop.get("readOnly", False),
                "description": prop.get("description", ""),
            }
            for prop_name, prop in definition.get("properties", {}).items()
        ]
        schemas.append(
            {
                "name": name,
                "description": definition.get("description", ""),
                "type": schema_type({k: v for k, v in definition.items() if k != "properties"}),
                "properties": properties,
            }
        )
    ordered = [
        {"tag": tag, "title": TAG_TITLES.get(tag, tag.replace("-", " ").capitalize()), "operations": ops}
        for tag, ops in sorted(
            sections.items(),
            key=lambda pair: list(TAG_TITLES).index(pair[0]) if pair[0] in TAG_TITLES else 99,
        )
    ]
    return {
        "info": schema["info"],
        "description": _markdown(schema["info"].get("description", "")),
        "sections": ordered,
        "schemas": schemas,
    }


def api_docs(request):
    return render(request, "api/docs.html", api_docs_context())
