"""What a registration deadline means to a plan, and what its absence means.

Real exports leave ``registration_deadline`` empty for some activities (the data model makes it
optional, docs/data-model.md). The planner reads an empty deadline as **open until the activity
starts**, the same rule as :meth:`Catalog.open_at <models.recommend.dataset.Catalog.open_at>`
for recommendations. Why this reading and not another:

- "closed" would drop every such activity from plans although the platform accepts
  registrations for it; for an export missing the column altogether, plans would be empty;
- "open until it ends" would put a step into a plan after the event began, which every other
  rule of the planner forbids (a step starts after the planning instant, and steps do not
  overlap), and one cannot take an olympiad stage that is under way;
- the start is the last moment at which registering can still mean taking part, and any
  announced deadline is at or before it in practice, so this reading never opens an activity
  that a deadline would have closed earlier than necessary.

A step planned on such an activity says so: its ``registration_deadline`` is None, and a
projected edition of a series whose last edition had no deadline has none either.
"""

from __future__ import annotations

import numpy as np


def registration_open(deadline: np.ndarray, start: np.ndarray, t: np.datetime64) -> np.ndarray:
    """Whether one can still register at ``t``: not started, and the deadline (if any) not
    passed. Vectorised over editions; NaT deadlines mean "until the start"."""
    deadline = np.asarray(deadline, dtype="datetime64[us]")
    start = np.asarray(start, dtype="datetime64[us]")
    not_started = ~np.isnat(start) & (start > t)
    return not_started & (np.isnat(deadline) | (deadline >= t))
