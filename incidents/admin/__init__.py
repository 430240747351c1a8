"""The portal's pages for calls, cases, dispatches, notes, categories and areas."""

from incidents.admin import areas, calls, cases, categories, dispatches, shares

__all__ = ["areas", "calls", "cases", "categories", "dispatches", "shares"]
