"""The docs page is all a partner needs: it loads without the internet and explains the key,
the steps and the webhook signature; the schema behind it is valid OpenAPI 3."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    paths = schema["paths"]
    for step in ("acknowledge", "en-route", "on-scene", "resolve", "decline"):
        assert f"/api/v1/dispatches/{{id}}/{step}/" in paths
    assert "422" in paths["/api/v1/incidents/"]["post"]["responses"]
    assert "429" in paths["/api/v1/incidents/"]["get"]["responses"]


def test_the_docs_page_serves_its_own_assets_and_the_guide():
    page = APIClient().get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html  # the centre may be offline
    assert "drf_spectacular_sidecar" in html
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    guide = schema["info"]["description"]
    for needed in ("Api-Key", "acknowledge", "Idempotency-Key", "X-Cc112-Signature", "HMAC"):
        assert needed in guide
