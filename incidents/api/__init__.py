"""The REST API's case resources: incidents, their dispatches, notes, clocks and history."""
