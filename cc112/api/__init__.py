"""What every resource of the REST API shares: who is asking, how fast, how errors and retries
are answered, how lists are paged. Resources live in their apps (``incidents/api``...)."""
