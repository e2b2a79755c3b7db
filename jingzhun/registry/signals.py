"""Signals other apps listen to, so the register does not depend on them."""

from django.dispatch import Signal

# Sent inside the writing transaction when households changed. `villages`: the set of village codes
# whose households changed (before and after a move), or None for "too many to list: everything".
register_changed = Signal()
