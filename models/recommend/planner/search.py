"""The beam search over dated sequences of plan candidates.

States are chronological sequences (each step starts after the previous one ends); a step is
added only when it keeps every month within ``monthly_cap`` and, for a selection stage the
participant has not already qualified for, when a step on its feeding stage is earlier in the
sequence. The ``beam_width`` best partial sequences survive each length.
"""

from __future__ import annotations

import numpy as np

from models.recommend.planner.candidates import Candidates
from models.recommend.planner.plans import PlanConstraints


def best_sequence(
    cand: Candidates, value: np.ndarray, need: float, cons: PlanConstraints
) -> list[int]:
    """Best sequence (positions into ``cand.idx``) by expected value toward the goal.

    ``value`` is each plan-catalogue edition's expected progress (rating points or competence
    percentile points), ``need`` what the goal still needs of it. The objective
    ``min(total, need) + 0.2 x max(0, total - need) - step_cost x steps`` gives diminishing value
    past the need and a small cost per step; the best sequence of any length is returned.
    """
    if len(cand.idx) == 0:
        return []
    v = value[cand.idx]
    pos_of = {int(a): p for p, a in enumerate(cand.idx.tolist())}

    def worth(total: float, n: int) -> float:
        over = max(0.0, total - need)
        return min(total, need) + 0.2 * over - cons.step_cost * n

    # a state: (objective, chosen positions, total value, last end, month loads)
    start: tuple[float, tuple[int, ...], float, np.datetime64 | None, dict[int, int]] = (
        worth(0.0, 0),
        (),
        0.0,
        None,
        {},
    )
    beam = [start]
    best = start
    for _ in range(cons.max_steps):
        nxt = []
        for _obj, chosen, total, last_end, load in beam:
            for p in range(len(cand.idx)):
                if chosen and p <= chosen[-1]:
                    continue
                if last_end is not None and cand.start[p] <= last_end:
                    continue
                if any(load.get(m, 0) >= cons.monthly_cap for m in cand.months[p]):
                    continue
                feeders = cand.feeders[p]
                # a selection stage needs its feeding stage earlier in the plan
                if (
                    len(feeders)
                    and not cand.qualified[p]
                    and not any(pos_of.get(int(f), -1) in chosen for f in feeders)
                ):
                    continue
                add = float(v[p])
                if add <= 0:
                    continue
                new_load = dict(load)
                for m in cand.months[p]:
                    new_load[m] = new_load.get(m, 0) + 1
                total2 = total + add
                ch = (*chosen, p)
                nxt.append((worth(total2, len(ch)), ch, total2, cand.end[p], new_load))
        if not nxt:
            break
        nxt.sort(key=lambda s: (-s[0], s[1]))
        beam = nxt[: cons.beam_width]
        if beam[0][0] > best[0]:
            best = beam[0]
    return list(best[1])
