"""``/api/openapi.json`` describes the public API only, and every operation in it has response schemas and an
example that its response model accepts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from app.public.openapi import api_routes

METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_openapi_lists_only_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/challenges", "/api/v1/challenges/{slug}"} <= paths
    assert all(path.startswith("/api/") for path in paths), sorted(p for p in paths if not p.startswith("/api/"))
    text = client.get("/api/openapi.json").text
    for page in ("/manage", "/login", "/proposals", "/evaluate", "/receipts", "/feeds", "/healthz", "/transparency"):
        assert f'"{page}' not in text, page
    # No form of a page comes in through a left-over component, nor FastAPI's error shape the API does not send.
    names = set(spec["components"]["schemas"])
    assert not {name for name in names if name.startswith("Body_")}
    assert "HTTPValidationError" not in names


def test_every_api_operation_has_response_schemas_and_examples(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert _operations(spec)
    for path, method, operation in _operations(spec):
        ok = operation["responses"]["200"]["content"]["application/json"]
        assert "$ref" in ok["schema"] or ok["schema"].get("type"), (path, method)
        assert "example" in ok or "examples" in ok, (path, method)
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json", {})
            assert "schema" in content, (path, method, status)
            assert "example" in content or "examples" in content, (path, method, status)


def test_examples_match_their_response_models(app: FastAPI, client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    routes = api_routes(app)
    assert routes
    for route in routes:
        assert route.response_model is not None, route.path
        for method in route.methods - {"HEAD"}:
            content = spec["paths"][route.path][method.lower()]["responses"]["200"]["content"]["application/json"]
            examples = (
                [content["example"]] if "example" in content else [e["value"] for e in content["examples"].values()]
            )
            for example in examples:
                TypeAdapter(route.response_model).validate_python(example)


def test_errors_look_as_documented(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    missing = client.get("/api/v1/challenges/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json()) == set(schemas["ErrorOut"]["properties"])
    invalid = client.get("/api/v1/challenges", params={"phase": "sometime"})
    assert invalid.status_code == 422
    assert set(invalid.json()) == set(schemas["ValidationErrorOut"]["properties"])
    assert set(invalid.json()["detail"][0]) == set(schemas["ValidationProblemOut"]["properties"])


def test_there_is_no_docs_page_that_needs_outside_scripts(client: TestClient) -> None:
    """The description is the JSON; a Swagger or ReDoc page would load scripts the Content-Security-Policy forbids."""
    assert client.get("/api/docs").status_code == 404
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
