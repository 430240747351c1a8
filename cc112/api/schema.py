"""Every operation documents the errors the API may answer with, in one shape."""

from __future__ import annotations


def _both(indonesian: str, english: str) -> str:
    """Indonesian first, the English under it, as the guide reads (Markdown paragraphs)."""
    return f"{indonesian}\n\n*{english}*"


ERRORS = {
    "400": _both(
        "Masukan tidak valid: daftar pesan per bidang.", "Bad input: a list of messages per field."
    ),
    "401": _both(
        "Tanpa kredensial, atau kunci yang tidak dikenal, kedaluwarsa atau dicabut.",
        "No credentials, or an unknown, expired or revoked key.",
    ),
    "403": _both(
        "Anda boleh melihat ini, tetapi tidak boleh melakukan ini padanya.",
        "You may see this, but not do this to it.",
    ),
    "404": _both(
        "Tidak ada, atau bukan untuk Anda lihat (keduanya dijawab sama).",
        "Not found, or not yours to see (the two answer alike).",
    ),
    "409": _both(
        "Status kasus atau disposisi tidak mengizinkan langkah ini.",
        "The case or dispatch is not in a state that allows this.",
    ),
    "422": _both(
        "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
        "This Idempotency-Key was already used for a different request.",
    ),
    "429": _both(
        "Melebihi batas laju kunci Anda; tunggu sebanyak detik di Retry-After.",
        "Over your key's rate; wait the seconds in Retry-After.",
    ),
}
WRITES_ONLY = {"409", "422"}
HEADERS = {
    "429": {
        "Retry-After": {
            "description": _both(
                "Detik yang harus ditunggu sebelum permintaan berikutnya.",
                "Seconds to wait before the next request.",
            ),
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    }
}


def document_error_responses(result, generator, request, public):  # type: ignore[no-untyped-def]
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "description": _both(
            "`detail` untuk satu pesan, atau nama bidang masing-masing dengan daftar pesannya.",
            "`detail` for one message, or field names each with a list of messages.",
        ),
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "additionalProperties": True,
    }
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                if code in WRITES_ONLY and method == "get":
                    continue
                response = {"description": text, "content": body}
                if code in HEADERS:
                    response["headers"] = HEADERS[code]
                responses.setdefault(code, response)
            if method == "get":
                # Single-value filters and paging read an empty value as not given
                # (`?channel=&cursor=`); a list filter refuses one (`?status=` is 400).
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter["schema"]["type"] != "array":
                        parameter.setdefault("allowEmptyValue", True)
            if method == "post":
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": _both(
                            "Kirim kunci yang sama saat mengulang: Anda mendapat jawaban "
                            "pertama, tidak pernah kasus kedua.",
                            "Send the same key when you retry: you get the first answer, "
                            "never a second case.",
                        ),
                        "schema": {"type": "string", "maxLength": 255},
                    }
                )
    return result
