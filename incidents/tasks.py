"""Background work on cases: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from incidents.services import shares_expire_due


@shared_task(ignore_result=True)
def expire_shares() -> int:
    """Withdraw access granted by shares whose expiry has passed (beat runs it every minute).

    Safe to run twice or concurrently: the service claims each share with SKIP LOCKED and a
    revoked share is never revoked again. No retry: the next beat tick is the retry.
    """
    return shares_expire_due()


@shared_task(ignore_result=True)
def forget_idempotent_requests() -> int:
    """Drop the answers kept for Idempotency-Key retries once no partner retries any more
    (beat runs it hourly; running it twice deletes nothing more)."""
    from cc112.api.idempotency import idempotent_requests_forget

    return idempotent_requests_forget()


@shared_task(ignore_result=True)
def anonymise_callers() -> int:
    """Anonymise callers' identities whose retention period has ended (beat runs it hourly).

    Safe to run twice or side by side: an identity is claimed by ``anonymised_at`` still being
    empty, so a second run finds nothing. No retry: the next beat tick is the retry."""
    from incidents.services.privacy import callers_anonymise_due

    return callers_anonymise_due()
