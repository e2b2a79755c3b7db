"""What the teams app tells others, inside the transaction of the write: `cadres_changed(sender, areas=set)` after
cadres are added or their status or stationed area change — `areas` every stationed area touched, before and
after a move (the training totals recount those counties: jingzhun.training.totals)."""

from django.dispatch import Signal

cadres_changed = Signal()
