"""The history's hash chain: one link per history row (cc112/history.py writes and checks it)."""

from __future__ import annotations

from django.db import models


class HistoryLink(models.Model):
    """A history row's seal: a SHA-256 over the row's stored columns and the previous link's
    digest in the same history table, so that editing, removing or slipping in a row breaks
    the chain from there on (``manage.py verify_history``).

    Kept apart from the history tables so that none of them changes shape; ``columns`` names
    what was sealed, so a column added to a history table later leaves old seals valid.
    """

    table = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    columns = models.TextField()
    previous = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "row_id"], name="audit_link_one_per_row"),
            # The chain cannot fork, whatever the locking: two links on one predecessor fail.
            models.UniqueConstraint(fields=["table", "previous"], name="audit_link_linear"),
        ]
        indexes = [models.Index(fields=["table", "id"], name="audit_link_table_order")]

    def __str__(self) -> str:
        return f"{self.table}#{self.row_id}"
