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


def test_a_partner_reads_the_guide_in_indonesian_first_with_the_english_beside_it():
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    guide = schema["info"]["description"]

    indonesian = guide.index("# Panduan API untuk sistem mitra")
    english = guide.index("# Partner API guide (English)")
    assert indonesian < english
    # The same seven steps in both, each language's in its own half.
    for heading in (
        "## 1. Autentikasi",
        "## 4. Ulangi dengan aman",
        "## 7. Laporkan kasus sendiri",
    ):
        assert indonesian < guide.index(heading) < english
    for heading in ("## 1. Authenticate", "## 4. Retry safely", "## 7. Report a case yourself"):
        assert english < guide.index(heading)
    # Both halves give the same signature check, to the character.
    assert guide.count("return fresh and hmac.compare_digest") == 2


def test_the_errors_each_call_may_answer_read_in_indonesian_first():
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    listing = schema["paths"]["/api/v1/incidents/"]["get"]["responses"]

    not_found = listing["404"]["description"]
    assert not_found.startswith("Tidak ada, atau bukan untuk Anda lihat")
    assert not_found.index("Tidak ada") < not_found.index("Not found, or not yours to see")
    retry_after = listing["429"]["headers"]["Retry-After"]["description"]
    assert retry_after.startswith("Detik yang harus ditunggu")
