"""Schemathesis walks the app's own OpenAPI document (/api/v1/openapi.json) with a valid
admin bearer token: for every operation, generated valid and invalid requests must never
answer 5xx, every answer must match the document (status, content type, schema), valid
data must be accepted and invalid data rejected.

Bounded and deterministic: ``MAX_EXAMPLES`` examples per operation and mode, derandomized. When the
modules grow their own API operations they join this test with no change here.

Locally the test is skipped when schemathesis is not installed; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os

import pytest

from core.testing.pytest_plugin import IN_CI

try:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode
except ImportError:  # pragma: no cover - depends on the environment
    schemathesis = None

# 15 keeps the run under two minutes with the modules' operations; raise it for a deeper
# run: COMPTOIR_FUZZ_EXAMPLES=100 pytest tests/security/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("COMPTOIR_FUZZ_EXAMPLES", "15"))

# Operations left out of the fuzzing, with the reason (none today: the ICS feed is walked
# too; its secret is never guessed, so it answers problem+json 404s, as documented).
EXCLUDED_OPERATIONS: dict[str, str] = {}


@pytest.fixture
def api_token(app, admin):
    from core.auth.services import issue_token

    return issue_token(admin, "fuzz")


if schemathesis is None:

    def test_schemathesis_is_installed():
        message = "schemathesis is not installed (pip install schemathesis): API fuzzing skipped"
        if IN_CI:
            pytest.fail(message + " (CI=true: this may not be skipped)")
        pytest.skip(message)

else:

    from schemathesis.checks import positive_data_acceptance

    def _field_names(case) -> set[str]:
        """The operation's parameters and body fields (a cross-field rule may name the
        companion of a field that was sent: 'start' for a lone 'end')."""
        raw = case.operation.definition.raw
        names = {p["name"] for p in raw.get("parameters", [])}
        schemas = case.operation.schema.raw_schema.get("components", {}).get("schemas", {})
        body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        names |= set(schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
        if isinstance(case.body, dict):
            names |= set(case.body)
        return names

    def _names_the_fields(ctx, response, case):
        """A schema-valid request may still break a rule the document cannot express (an
        unknown partner_id, a common password, a phone number that does not parse): then the
        answer is a 422 problem that names the fields at fault, never a bare error."""
        if response.status_code != 422:
            return None
        body = response.json()
        assert body.get("errors"), f"422 naming no field: {body}"
        unnamed = {name.split(".")[0] for name in body["errors"]} - _field_names(case)
        assert not unnamed, f"422 names fields the operation does not have: {sorted(unnamed)}"
        return None

    def _fuzz_operation(operation, mode, token: str) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def run(case):
            kwargs = {}
            if mode is GenerationMode.POSITIVE:
                kwargs = {"excluded_checks": [positive_data_acceptance],
                          "additional_checks": [_names_the_fields]}
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, **kwargs)

        run()

    @pytest.mark.parametrize("mode", ["positive", "negative"])
    def test_api_answers_match_the_document(app, api_token, mode):
        # One test walks every operation (schemathesis' pytest plugin does not support
        # pytest 9's nodes yet); failures are gathered and reported per operation.
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        failures, unsatisfiable, walked = [], [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            op_id = operation.definition.raw.get("operationId")
            if op_id in EXCLUDED_OPERATIONS:
                continue
            walked += 1
            try:
                _fuzz_operation(operation, GenerationMode(mode), api_token)
            except Unsatisfiable:
                # Nothing to generate for this mode (e.g. no invalid value for a path
                # secret of type string): not a failure of the app.
                unsatisfiable.append(op_id)
            except Exception as exc:  # noqa: BLE001 - reported below, per operation
                failures.append(f"--- {operation.method.upper()} {operation.path} ({op_id})\n{exc}")
        assert walked >= 14, "the OpenAPI document lost operations"
        assert not failures, "\n\n".join(failures)
        assert len(unsatisfiable) < walked / 2, f"hardly anything generated: {unsatisfiable}"


def test_query_parameters_are_never_documented_as_null(login, admin):
    """Found by the fuzzer: ``q: str | None`` was documented as ``anyOf [string, null]``, so
    ``?q=`` counted as "null, a schema violation" while the app rightly read it as empty."""
    doc = login(admin).get("/api/v1/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] != "query":
                    continue
                schema = param["schema"]
                types = [schema.get("type")] + [b.get("type") for b in schema.get("anyOf", [])]
                assert "null" not in types, (method, path, param)
                assert schema.get("default", "") is not None, (method, path, param)
