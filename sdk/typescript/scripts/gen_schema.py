"""Write ``sdk/typescript/src/schema.ts``: the TypeScript types of the REST shim's OpenAPI schema.

Run from the repository root::

    .venv/bin/python sdk/typescript/scripts/gen_schema.py          # (re)writes src/schema.ts
    .venv/bin/python sdk/typescript/scripts/gen_schema.py --check  # exits 1 when it is stale

The file holds one interface per component schema (and per request body the schema
declares inline, such as ``SessionCreate``), and ``Operations``: for each ``"METHOD /path"``
its path, query and header parameters, its JSON or form body and its answer. The output
depends only on the schema (sorted names, the schema's own field order), so two runs on
the same server write the same bytes.

>>> ts_type({"anyOf": [{"type": "integer"}, {"type": "null"}]}, Names({}))
'number | null'
>>> ts_type({"type": "array", "items": {"enum": ["a", "b"]}}, Names({}))
'("a" | "b")[]'
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parents[1]
TARGET = SDK / "src" / "schema.ts"
COMMAND = ".venv/bin/python sdk/typescript/scripts/gen_schema.py"
METHODS = ("get", "post", "put", "patch", "delete")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

HEADER = f"""\
// Generated from the Orchestria Lab server's OpenAPI schema by
// sdk/typescript/scripts/gen_schema.py. Do not edit: change the server, then run
//   {COMMAND}
// (the tests fail while this file and the schema differ).
/* eslint-disable */
"""


def openapi() -> dict[str, Any]:
    """The schema of the app as ``orchestria serve`` builds it, over a throwaway database."""
    sys.path.insert(0, str(ROOT))
    from orchestria_lab.server.app import create_app
    from orchestria_lab.server.settings import Settings
    from orchestria_lab.session.store import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(store=SQLiteStore(Path(tmp) / "schema.db"), settings=Settings(data_dir=Path(tmp) / "data"))
        return app.openapi()


class Names:
    """TypeScript names of the component schemas. FastAPI's ``Body_<operation id>`` forms are
    renamed after their route (``ImportMidiForm``), since the id is an implementation detail."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.by_component: dict[str, str] = {}
        components = schema.get("components", {}).get("schemas", {})
        routes = {_route_name(op["operationId"], path, method): op["operationId"]
                  for path, method, op in operations(schema) if "operationId" in op}
        for name in components:
            self.by_component[name] = name
            if name.startswith("Body_"):
                for route, op_id in routes.items():
                    if name == f"Body_{op_id}":
                        self.by_component[name] = _pascal(route) + "Form"

    def ref(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        return self.by_component.get(name, name)


def _route_name(operation_id: str, path: str, method: str) -> str:
    """The route function's name: FastAPI ids are ``<name><path, \\W as _>_<method>``."""
    suffix = re.sub(r"\W", "_", path) + "_" + method
    return operation_id[: -len(suffix)] if operation_id.endswith(suffix) else operation_id


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", snake) if part)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(path, method, operation)`` for every operation, sorted by path then method."""
    return [(path, method, item[method]) for path, item in sorted(schema.get("paths", {}).items())
            for method in METHODS if method in item]


def ts_type(s: dict[str, Any], names: Names, indent: str = "") -> str:
    """The TypeScript type of the JSON schema ``s`` (objects inline, ``$ref`` by name)."""
    if "$ref" in s:
        return names.ref(s["$ref"])
    if "const" in s:
        return json.dumps(s["const"])
    if "enum" in s:
        return " | ".join(json.dumps(v) for v in s["enum"])
    for union in ("anyOf", "oneOf"):
        if union in s:
            return _join(" | ", [ts_type(m, names, indent) for m in s[union]])
    if "allOf" in s:
        return _join(" & ", [ts_type(m, names, indent) for m in s["allOf"]])
    kind = s.get("type")
    if isinstance(kind, list):
        return _join(" | ", [ts_type({**s, "type": k}, names, indent) for k in kind])
    if kind == "string":
        binary = s.get("format") == "binary" or "contentMediaType" in s
        return "Blob" if binary else "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        item = ts_type(s.get("items", {}), names, indent)
        return f"({item})[]" if re.search(r"[|&]", item) else f"{item}[]"
    if kind == "object" or "properties" in s:
        return object_type(s, names, indent)
    return "unknown"


def _join(sep: str, parts: list[str]) -> str:
    return sep.join(dict.fromkeys(parts))  # each member once, in the schema's order


def object_type(s: dict[str, Any], names: Names, indent: str) -> str:
    props = s.get("properties", {})
    extra = s.get("additionalProperties", False if props else True)
    if not props:
        value = "unknown" if extra in (True, {}) else ts_type(extra, names, indent) if extra else "never"
        return f"Record<string, {value}>"
    return "{\n" + members(s, names, indent + "  ") + indent + "}"


def members(s: dict[str, Any], names: Names, indent: str) -> str:
    """The body of an interface: one documented line per property (optional unless required)."""
    required = set(s.get("required", []))
    lines = []
    for name, prop in s.get("properties", {}).items():
        lines += doc(prop, indent)
        key = name if _IDENTIFIER.match(name) else json.dumps(name)
        optional = "" if name in required else "?"
        lines.append(f"{indent}{key}{optional}: {ts_type(prop, names, indent)};")
    extra = s.get("additionalProperties")
    if extra not in (None, False):
        value = "unknown" if extra in (True, {}) else ts_type(extra, names, indent)
        lines.append(f"{indent}/** Fields the schema allows beyond those named. */")
        lines.append(f"{indent}[key: string]: {value};")
    return "".join(line + "\n" for line in lines)


def doc(s: dict[str, Any], indent: str) -> list[str]:
    """A JSDoc block: the description, then the default and bounds a caller should know."""
    words = [s["description"]] if s.get("description") else []
    facts = []
    if "default" in s:
        facts.append(f"default {json.dumps(s['default'])}")
    for key, label in (("minimum", ">="), ("maximum", "<="), ("minLength", "length >="),
                       ("maxLength", "length <="), ("maxItems", "items <="), ("pattern", "matches")):
        for member in [s, *s.get("anyOf", [])]:
            if key in member:
                value = member[key]
                value = int(value) if isinstance(value, float) and value.is_integer() else value
                facts.append(f"{label} {value}")
    if facts:
        words.append("(" + ", ".join(facts) + ")")
    if not words:
        return []
    lines = " ".join(words).replace("*/", "*\\/").splitlines()
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in lines), f"{indent} */"]


def interface(name: str, s: dict[str, Any], names: Names) -> str:
    if s.get("type", "object") != "object" or "properties" not in s:
        return "".join(line + "\n" for line in doc(s, "")) + f"export type {name} = {ts_type(s, names)};\n"
    return ("".join(line + "\n" for line in doc(s, "")) + f"export interface {name} {{\n"
            + members(s, names, "  ") + "}\n")


def inline_bodies(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Request bodies the schema writes out in place (with a ``title``), by that title."""
    found: dict[str, dict[str, Any]] = {}
    for _, _, op in operations(schema):
        for media in op.get("requestBody", {}).get("content", {}).values():
            body = media.get("schema", {})
            if "$ref" not in body and body.get("title"):
                found.setdefault(_pascal(body["title"]), body)
    return found


def operation_entry(path: str, method: str, op: dict[str, Any], names: Names, bodies: dict[str, dict]) -> str:
    params = {"path": [], "query": [], "header": []}
    for p in op.get("parameters", []):
        if p.get("in") in params:
            params[p["in"]].append(p)
    lines = [*doc({"description": op.get("summary", "")}, "  "), f"  {json.dumps(method.upper() + ' ' + path)}: {{"]
    for where, found in params.items():
        if not found:
            lines.append(f"    {where}: Record<string, never>;")
            continue
        lines.append(f"    {where}: {{")
        for p in found:
            lines += doc({**p.get("schema", {}), "description": p.get("description", "")}, "      ")
            key = p["name"] if _IDENTIFIER.match(p["name"]) else json.dumps(p["name"])
            lines.append(f"      {key}{'' if p.get('required') else '?'}: {ts_type(p.get('schema', {}), names, '      ')};")
        lines.append("    };")
    content = op.get("requestBody", {}).get("content", {})
    for label, media in (("json", "application/json"), ("form", "multipart/form-data")):
        body = content.get(media, {}).get("schema")
        if body is None:
            lines.append(f"    {label}: never;")
        elif "$ref" not in body and _pascal(body.get("title", "")) in bodies:
            lines.append(f"    {label}: {_pascal(body['title'])};")
        else:
            lines.append(f"    {label}: {ts_type(body, names, '    ')};")
    lines.append(f"    response: {response_type(op, names)};")
    lines.append("  };")
    return "\n".join(lines) + "\n"


def response_type(op: dict[str, Any], names: Names) -> str:
    """The success answer: its JSON type, ``Uint8Array`` for a file, ``void`` for no body."""
    for status, answer in sorted(op.get("responses", {}).items()):
        if not status.startswith("2"):
            continue
        content = answer.get("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        if json_schema:
            return ts_type(json_schema, names, "    ")
        if any(media != "application/json" for media in content):
            return "Uint8Array"
        return "void" if not content else "unknown"
    return "void"


def render(schema: dict[str, Any]) -> str:
    """The whole of ``schema.ts`` for ``schema``."""
    names = Names(schema)
    parts = [HEADER]
    components = schema.get("components", {}).get("schemas", {})
    bodies = {k: v for k, v in inline_bodies(schema).items() if k not in components}
    typed = {names.by_component[k]: v for k, v in components.items()} | bodies
    for name in sorted(typed):
        parts.append(interface(name, typed[name], names))
    entries = [operation_entry(path, method, op, names, bodies) for path, method, op in operations(schema)]
    parts.append("/** Every operation of the API by `\"METHOD /path\"`: its parameters, body and answer. */\n"
                 "export interface Operations {\n" + "".join(entries) + "}\n")
    parts.append("/** An operation's key, such as `\"GET /v1/sessions\"`. */\n"
                 "export type OperationKey = keyof Operations;\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if src/schema.ts differs from the schema")
    args = parser.parse_args(argv)
    text = render(openapi())
    if not args.check:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
        return 0
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if current == text:
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return 0
    diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), "committed", "from the schema",
                                     lineterm="", n=1))
    print(f"{TARGET.relative_to(ROOT)} is out of date with the server's OpenAPI schema. Run\n  {COMMAND}\n"
          f"then `npm run build` in sdk/typescript. The difference:\n" + "\n".join(diff[:60])
          + ("\n..." if len(diff) > 60 else ""), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
