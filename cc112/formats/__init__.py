"""The portal's one date-time format for what Django writes itself (read-only fields, lists):
``16-12-2025 10:01:00 WIT``, as ``cc112.moments.local_moment`` writes it, in either language.

Django's Indonesian format wrote "16 Des. 2025, 10.01" beside our "16-12-2025 10:01:00 WIT"
on the same page. Only the display formats are set; what a form accepts is Django's."""
