"""Access matrices from one table: who may do what, over the page, htmx and API channels.

A table reads, one line per (resource, action), one cell per role::

    resource action | admin        manager      owner        other        anonymous
    lead     read   | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401

Each cell is ``page/htmx/api``: the status of the full page, of the same request sent by
htmx (``HX-Request: true``) and of the API call; ``---`` where a channel has no such action.
A test module gives :func:`cases` its table, maps each (resource, action) to a
:data:`Request`, sends it with :func:`send` and checks the answer with :func:`problems`
(plus its own checks). The core's and the modules' matrices (tests/core/test_access_matrix.py,
tests/security/test_access_modules.py) are built this way; so can a plugin's.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

CHANNELS = ("page", "htmx", "api")
#: The fixture of each role (core/testing/pytest_plugin.py); "anonymous" has none.
ROLE_FIXTURES = {"admin": "admin", "manager": "manager", "owner": "sales", "other": "sales2"}
HX = {"HX-Request": "true"}


class Request(NamedTuple):
    """An action on the page channels (method, url, form) and on the API (method, url
    under /api/v1, json); ``api_method`` None where the API has no such action."""

    method: str
    url: str
    form: dict | None
    api_method: str | None
    api_url: str | None
    body: dict | None


def cases(table: str) -> list:
    """One ``pytest.param(resource, action, role, {channel: status})`` per cell."""
    lines = table.strip().splitlines()
    roles = lines[0].split("|")[1].split()
    params = []
    for line in lines[1:]:
        left, right = line.split("|")
        resource, action = left.split()
        for role, cell in zip(roles, right.split(), strict=True):
            expected = {channel: int(status)
                        for channel, status in zip(CHANNELS, cell.split("/"), strict=True)
                        if status != "---"}
            params.append(pytest.param(resource, action, role, expected, id=f"{resource}-{action}-{role}"))
    return params


def user_for(request, role: str):
    """The user of ``role`` (created only when asked: hashing passwords is slow), or None."""
    return request.getfixturevalue(ROLE_FIXTURES[role]) if role in ROLE_FIXTURES else None


def send(spec: Request, channel: str, user, *, login, api, client):
    """Send ``spec`` on ``channel`` as ``user`` (None: signed out)."""
    if channel == "api":
        if user is None:
            return getattr(client, spec.api_method)("/api/v1" + spec.api_url, json=spec.body)
        return getattr(api(user), spec.api_method)(spec.api_url, json=spec.body)
    caller = login(user) if user else client
    headers = HX if channel == "htmx" else {}
    kwargs = {"data": spec.form} if spec.method == "post" else {}
    return getattr(caller, spec.method)(spec.url, headers=headers, **kwargs)


def problems(channel: str, expected: int, response, *, problem_json: bool = True) -> list[str]:
    """What every channel must get right: the status, a problem+json refusal on the API
    (``problem_json=False`` where an answer is not JSON), signed-out callers sent to the
    sign-in page (a 302, or a 401 with HX-Redirect for htmx). An empty list: all good."""
    if response.status_code != expected:
        return [f"{channel}: {response.status_code} instead of {expected}"]
    found = []
    if channel == "api" and expected >= 400 and problem_json and response.mimetype != "application/problem+json":
        found.append(f"{channel}: {response.mimetype} instead of problem+json")
    if expected == 302 and "/login" not in response.headers.get("Location", ""):
        found.append(f"{channel}: redirected elsewhere than the sign-in page")
    if channel == "htmx" and expected == 401 and not response.headers.get("HX-Redirect", "").startswith("/login"):
        found.append(f"{channel}: 401 without HX-Redirect to the sign-in page")
    return found


def covers_every_role_and_channel(params: list) -> bool:
    return ({p.values[2] for p in params} == {*ROLE_FIXTURES, "anonymous"}
            and {channel for p in params for channel in p.values[3]} == set(CHANNELS))
