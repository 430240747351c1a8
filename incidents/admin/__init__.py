"""The portal's pages for calls, cases, dispatches, notes and categories."""

from incidents.admin import calls, cases, categories, dispatches, shares

__all__ = ["calls", "cases", "categories", "dispatches", "shares"]
