"""The Fernet key settings fall back on (read by settings.py: stdlib only, no Django)."""

from __future__ import annotations

import base64
import hashlib


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY (development, and installs that set no key)."""
    digest = hashlib.sha256(b"cc112 field encryption\x00" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
