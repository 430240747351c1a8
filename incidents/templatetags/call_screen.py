"""The operator's way onto the call screen from their home."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.console import may_answer_calls

register = template.Library()


@register.simple_tag(takes_context=True)
def answers_calls(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return bool(request and may_answer_calls(request.user))
