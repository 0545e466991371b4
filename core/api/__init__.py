"""The REST API base: bearer tokens, validated bodies and queries (pydantic), pagination,
problem+json errors, and an OpenAPI 3.1 document built from the routes themselves.

A module declares its API with :class:`ApiBlueprint` and :meth:`ApiBlueprint.operation`::

    api = ApiBlueprint("crm_api", __name__)

    @api.operation("/leads", "POST", summary="Create a lead", body=LeadIn, response=LeadOut,
                   status=201)
    def create_lead(data: LeadIn):
        ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, json, request
from flask_login import current_user
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic import ValidationError as PydanticValidationError

from core.db import db, utcnow
from core.validation import MAX_ID, error_field

PROBLEM_MIME = "application/problem+json"


# --- types shared by API models -------------------------------------------------

def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


UtcDatetime = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
MoneyStr = Annotated[
    Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")
]


class In(BaseModel):
    """Base of request bodies: unknown (and read-only) fields are rejected."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_control(value: str) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise ValueError("contains control characters")
    return value


SearchText = Annotated[str, Field(max_length=200), AfterValidator(_no_control)]


class ListQuery(Query):
    page: int = Field(1, ge=1, le=10**6)
    per_page: int = Field(50, ge=1, le=200)
    q: SearchText | None = None


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: dict[str, list[str]] | None = None


# --- errors -------------------------------------------------------------------------

def problem(status: int, title: str, detail: str | None = None, errors: dict | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, errors=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


def pydantic_errors(exc: PydanticValidationError, read_only: set[str] = frozenset(),
                    model: type[BaseModel] | None = None) -> dict:
    """{field: [messages]}; with ``model``, a union's errors are listed under the field
    (``user_id``), not under pydantic's names for the union's members."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p != "__root__"]
        name = error_field(err["loc"], model) or "body"
        if err["type"] == "extra_forbidden":
            message = "is read-only" if loc and loc[-1] in read_only else "unknown field"
        else:
            message = err["msg"].removeprefix("Value error, ")
        messages = errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)
    return errors


READ_ONLY = {"id", "status", "created_at", "updated_at", "amount_untaxed", "amount_tax",
             "amount_total", "number", "confirmed_at", "confirmed_by", "recycled"}


def parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.data and request.method in ("POST", "PATCH", "PUT"):
        payload: Any = {}
    else:
        try:
            payload = json.loads(request.get_data(as_text=True))
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays/objects
            raise ApiError(400, "Malformed JSON", "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "Malformed JSON", "The request body must be a JSON object.")
    try:
        return model.model_validate(payload)
    except PydanticValidationError as exc:
        raise ApiError(422, "Invalid fields", "Some fields are invalid.",
                       pydantic_errors(exc, READ_ONLY, model)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        field = model.model_fields.get(key)
        is_list = field is not None and "list" in str(field.annotation)
        data[key] = values if is_list else values[-1]
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ApiError(400, "Invalid parameters", "Some query parameters are invalid.",
                       pydantic_errors(exc, model=model)) from None


# --- authentication ---------------------------------------------------------------

def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def authenticate():
    """The API caller: a bearer token's user, or the signed-in session user."""
    from core.auth.models import ApiToken, User

    token = bearer_token()
    if token is not None:
        row = db.session.execute(
            sa.select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == ApiToken.hash(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None or not row.User.active:
            raise ApiError(401, "Unauthorized", "Missing, unknown or revoked token.")
        api_token, user = row
        now = utcnow()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 300:
            api_token.last_used_at = now  # written at most every 5 minutes
            g.api_token_touched = True
        g.api_user = user
        return user
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        return g.api_user
    raise ApiError(401, "Unauthorized", "Send 'Authorization: Bearer <token>'.")


def api_user():
    return g.get("api_user") or authenticate()


# --- operations and the OpenAPI document ---------------------------------------

@dataclass
class Operation:
    blueprint: str
    rule: str
    method: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    tag: str
    list_response: bool
    endpoint: str
    public: bool = False
    produces: str | None = None


def to_json(value: Any, model: type[BaseModel] | None) -> Any:
    if model is None:
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return model.model_validate(value).model_dump(mode="json")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class ApiBlueprint(Blueprint):
    """A blueprint mounted under /api/v1 whose operations document themselves."""

    def __init__(self, name: str, import_name: str, *, tag: str | None = None):
        super().__init__(name, import_name, url_prefix="/api/v1")
        self.tag = tag or name.removesuffix("_api")
        self.operations: list[Operation] = []

    def operation(self, rule: str, method: str = "GET", *, summary: str,
                  body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
                  response: type[BaseModel] | None = None, status: int = 200,
                  list_response: bool = False, public: bool = False, tag: str | None = None,
                  produces: str | None = None):
        """``produces``: the media type of a non-JSON answer (``text/calendar``): the view
        returns a :class:`Response` of that type, documented as a string; errors stay
        problem+json."""

        def decorator(fn: Callable):
            @functools.wraps(fn)
            def view(**kwargs):
                if not public:
                    authenticate()
                if body is not None:
                    kwargs["data"] = parse_body(body)
                elif request.method in ("POST", "PATCH", "PUT") and request.get_data():
                    # Actions without a body model accept an empty object at most.
                    parsed = parse_body(_Empty)
                    del parsed
                if query is not None:
                    kwargs["query"] = parse_query(query)
                result = fn(**kwargs)
                if isinstance(result, Response):
                    return result
                if status == 204:
                    return Response(status=204)
                if list_response:
                    result = dict(result)
                    result["items"] = [to_json(item, response) for item in result["items"]]
                    return json_response(result, status)
                return json_response(to_json(result, response), status)

            endpoint = fn.__name__
            self.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
            self.operations.append(Operation(
                blueprint=self.name, rule=rule, method=method, summary=summary, body=body,
                query=query, response=response, status=status, tag=tag or self.tag,
                list_response=list_response, endpoint=endpoint, public=public,
                produces=produces,
            ))
            return view

        return decorator


class _Empty(In):
    pass


def page_of(stmt: sa.Select, query: ListQuery, *, rows_stmt=None, count_stmt=None) -> dict:
    """A page of ``stmt`` as the API answers it (``rows_stmt``, ``count_stmt``: see
    core.web.paginate)."""
    from core.web import paginate

    result = paginate(stmt, query.page, query.per_page, rows_stmt=rows_stmt, count_stmt=count_stmt,
                      past_end="empty")
    return {"items": result.items, "page": result.page, "per_page": result.per_page,
            "total": result.total}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the core's and the active modules' operations."""
    from core.plugins import registry

    reg = registry()
    schemas: dict[str, Any] = {"Problem": Problem.model_json_schema()}
    paths: dict[str, dict] = {}

    def ref(model: type[BaseModel], mode: str) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        name = model.__name__
        schemas.setdefault(name, schema)
        return {"$ref": f"#/components/schemas/{name}"}

    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for blueprint in current_app.blueprints.values():
        if not isinstance(blueprint, ApiBlueprint):
            continue
        owner = reg.blueprint_owner.get(blueprint.name, "core")
        if not reg.is_active(owner):
            continue
        for op in blueprint.operations:
            path = _openapi_path(op.rule)
            item: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{op.blueprint}.{op.endpoint}",
                "tags": [op.tag],
                "responses": {},
            }
            params = [
                {"name": name, "in": "path", "required": True,
                 "schema": PATH_ID_SCHEMA if conv == "int" else {"type": "string"}}
                for conv, name in _path_params(op.rule)
            ]
            if op.query is not None:
                qschema = op.query.model_json_schema()
                required = set(qschema.get("required", []))
                for name, prop in qschema.get("properties", {}).items():
                    params.append({"name": name, "in": "query", "required": name in required,
                                   "schema": _query_schema(prop)})
            if params:
                item["parameters"] = params
            if op.body is not None:
                item["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": ref(op.body, "validation")}}}
            if op.status == 204:
                item["responses"]["204"] = {"description": "Done"}
            elif op.produces is not None:
                item["responses"][str(op.status)] = {
                    "description": "OK", "content": {op.produces: {"schema": {"type": "string"}}}}
            elif op.response is not None:
                schema = ref(op.response, "serialization")
                if op.list_response:
                    schema = {"type": "object", "required": ["items", "page", "per_page", "total"],
                              "properties": {"items": {"type": "array", "items": schema},
                                             "page": {"type": "integer"},
                                             "per_page": {"type": "integer"},
                                             "total": {"type": "integer"}}}
                item["responses"][str(op.status)] = {
                    "description": "OK", "content": {"application/json": {"schema": schema}}}
            else:
                item["responses"][str(op.status)] = {
                    "description": "OK", "content": {"application/json": {"schema": {}}}}
            for code, text in (("400", "Malformed request"), ("401", "Not authenticated"),
                               ("403", "Not allowed"), ("404", "Not found"),
                               ("405", "Method not allowed"),
                               ("409", "Conflict with the record's state"),
                               ("422", "Invalid fields"), ("429", "Rate limited")):
                item["responses"][code] = {"description": text, "content": {
                    PROBLEM_MIME: {"schema": problem_ref}}}
            if not op.public:
                item["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[op.method.lower()] = item
    from core import __version__

    return {
        "openapi": "3.1.0",
        "info": {"title": "Comptoir API", "version": __version__},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


#: ``<int:...>`` path parameters: what the URL converter (``core.app.BoundedInt``) can match
#: and a key column can hold; any other number is a 404.
PATH_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _query_schema(prop: dict) -> dict:
    """A query string cannot carry null: ``X | None`` parameters are documented as X
    (absent means None), so clients and fuzzers do not send ``?q=`` believing it is null."""
    branches = prop.get("anyOf")
    if branches and any(b.get("type") == "null" for b in branches):
        rest = [b for b in branches if b.get("type") != "null"]
        prop = {k: v for k, v in prop.items() if k != "anyOf"}
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest
        if prop.get("default", 0) is None:
            del prop["default"]
    return prop


def _path_params(rule: str) -> list[tuple[str, str]]:
    import re

    return [(m.group(1) or "string", m.group(2))
            for m in re.finditer(r"<(?:(\w+):)?(\w+)>", rule)]


def _openapi_path(rule: str) -> str:
    import re

    return "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
