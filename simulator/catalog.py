"""The catalogue: recurring event series and their yearly editions (activities), with edges.

Each freely chosen kind has a pool of series per primary direction; a season runs as many editions
as its demand needs (``demand / mean edition size``), preferring series that ran before, so
``series_id`` is stable across seasons while ``activity_id`` is new every season. The NTI Olympiad
has three fixed series per direction (profile): individual stage, team stage and final.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from footprint.directions import directions
from footprint.enums import RU_LABELS, ActivityKind, EdgeType, Level
from simulator import clock
from simulator.config import SimulationConfig, scaled_size_range
from simulator.kinds import FREE_KINDS, KIND_SPECS, LEVEL_DIFFICULTY, LEVELS, kind_index
from simulator.population import REGION_CODES, REGION_WEIGHTS

N_TASKS = 8
"""Tasks per activity in the partial-credit model (see :mod:`simulator.results`)."""

KIND_SLUG: dict[ActivityKind, str] = {
    ActivityKind.HACKATHON: "hack",
    ActivityKind.PROJECT_SCHOOL: "school",
    ActivityKind.COMPETITION: "comp",
    ActivityKind.PROJECT_CONTEST: "contest",
    ActivityKind.ONLINE_COURSE: "course",
    ActivityKind.TEST: "test",
}
OLYMPIAD_STAGES: tuple[tuple[ActivityKind, str, str], ...] = (
    (ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL, "s1", "индивидуальный отборочный этап"),
    (ActivityKind.OLYMPIAD_STAGE_TEAM, "s2", "командный отборочный этап"),
    (ActivityKind.OLYMPIAD_FINAL, "final", "финал"),
)
OLYMPIAD_GRADES = (7, 11)
NATIONAL = LEVELS.index(Level.NATIONAL)
GRADE_RANGES: tuple[tuple[int, int], ...] = ((5, 11), (5, 8), (7, 11), (8, 11), (9, 11))
GRADE_RANGE_WEIGHTS = np.array([0.45, 0.15, 0.2, 0.15, 0.05])
PRIMARY_WEIGHTS = np.array([1.0, 0.8, 0.7, 0.6])
PRIMARY_WEIGHT_P = np.array([0.5, 0.2, 0.15, 0.15])
NESTED_SHARE = 0.35
TOPICS: tuple[str, ...] = (
    "Код будущего",
    "Цифровой прорыв",
    "Инженерный старт",
    "Технолидер",
    "Умный город",
    "Траектория",
    "Горизонт",
    "Импульс",
    "Навигатор",
    "Перспектива",
    "Новые горизонты",
    "Первый шаг",
    "Технологии будущего",
    "Большие вызовы",
    "Кибердом",
    "Малая академия",
)
EXPECTED_FILL = 0.8
"""Share of a group's picks expected to end up in an edition (the rest fail eligibility)."""


@dataclass
class Activities:
    """Column arrays of activity editions; row ``a`` is the simulator's activity index ``a``.

    Datetimes are ``datetime64[s]``; ``capacity`` -1, ``max_score`` NaN, ``region`` -1 and
    ``list_level`` 0 mean "not set". ``weights`` is (activities x directions), rows sum to 1.
    """

    activity_id: np.ndarray
    series_id: np.ndarray
    title: np.ndarray
    kind: np.ndarray
    weights: np.ndarray
    level: np.ndarray
    offline: np.ndarray
    region: np.ndarray
    start_at: np.ndarray
    end_at: np.ndarray
    deadline: np.ndarray
    published_at: np.ndarray
    grade_min: np.ndarray
    grade_max: np.ndarray
    capacity: np.ndarray
    max_score: np.ndarray
    is_team: np.ndarray
    list_level: np.ndarray
    difficulty: np.ndarray
    alpha: np.ndarray
    tau: np.ndarray
    target_size: np.ndarray
    nested_hackathon: np.ndarray

    def __len__(self) -> int:
        return len(self.activity_id)

    @classmethod
    def concat(cls, parts: list[Activities]) -> Activities:
        return cls(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in dataclasses.fields(cls)
            }
        )

    def take(self, idx: np.ndarray) -> Activities:
        return Activities(**{f.name: getattr(self, f.name)[idx] for f in dataclasses.fields(self)})


@dataclass
class Edges:
    """Activity edges as parallel lists of activity ids."""

    from_id: list[str] = field(default_factory=list)
    to_id: list[str] = field(default_factory=list)
    edge_type: list[str] = field(default_factory=list)

    def add(self, from_id: str, to_id: str, edge_type: EdgeType) -> None:
        self.from_id.append(from_id)
        self.to_id.append(to_id)
        self.edge_type.append(edge_type.value)


@dataclass(frozen=True)
class SeriesAttrs:
    """Lasting attributes of series (one row per series); editions vary them a little."""

    weights: np.ndarray
    level: np.ndarray
    offline: np.ndarray
    region: np.ndarray
    grade_min: np.ndarray
    grade_max: np.ndarray
    difficulty: np.ndarray
    alpha: np.ndarray
    size_u: np.ndarray
    is_team: np.ndarray
    max_score: np.ndarray
    duration: np.ndarray
    start_day: np.ndarray
    priority: np.ndarray
    nested: np.ndarray

    def extended(self, more: SeriesAttrs) -> SeriesAttrs:
        return SeriesAttrs(**{
            f.name: np.concatenate([getattr(self, f.name), getattr(more, f.name)])
            for f in dataclasses.fields(self)
        })  # fmt: skip


@dataclass
class SeriesGroup:
    """The series of one (free kind, primary direction), in creation order."""

    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    attrs: SeriesAttrs | None = None

    def __len__(self) -> int:
        return len(self.ids)


class Catalog:
    """Series pools and the editions planned so far; one instance per simulated world.

    A world simulated in chunks shares one catalogue: series (and their ``series_id``) are drawn
    once, each season's NTI Olympiad is planned once and run by every chunk, and the editions a
    chunk plans for its own demand carry ``edition_suffix`` in their ids (``-c2`` for the second
    chunk, nothing for the first) so parallel editions of one series in one season stay apart.
    """

    def __init__(self, config: SimulationConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.codes = tuple(d.code for d in directions())
        self.dir_titles = tuple(d.title_ru for d in directions())
        self.groups: dict[tuple[int, int], SeriesGroup] = {}
        self.edges = Edges()
        self.list_levels = rng.choice([1, 2, 3], size=len(self.codes), p=[0.5, 0.3, 0.2])
        self.edition_suffix = ""
        self._olympiads: dict[int, Activities] = {}

    # --- free kinds -------------------------------------------------------------------------
    def plan_free(self, year: int, demand: np.ndarray) -> Activities:
        """Editions of the free kinds for the season starting in ``year``.

        ``demand[k, d]`` is the number of picks of ``FREE_KINDS[k]`` with primary direction ``d``;
        each group gets ``round(demand * EXPECTED_FILL / mean size)`` editions (at least one).
        """
        parts = []
        for k, kind in enumerate(FREE_KINDS):
            lo, hi = scaled_size_range(kind, self.config.participants)
            mean_size = (hi - lo) / np.log(hi / lo)
            for d in range(len(self.codes)):
                n_ed = max(1, round(demand[k, d] * EXPECTED_FILL / mean_size))
                group = self.groups.setdefault((kind_index(kind), d), SeriesGroup())
                if len(group) < n_ed:
                    self._grow(group, kind, d, n_ed - len(group))
                assert group.attrs is not None
                score = group.attrs.priority + 0.25 * self.rng.standard_normal(len(group))
                chosen = np.sort(np.argsort(-score, kind="stable")[:n_ed])
                parts.append(self._editions(group, chosen, kind, year, lo, hi))
        return Activities.concat(parts)

    def _grow(self, group: SeriesGroup, kind: ActivityKind, d: int, n: int) -> None:
        rng, spec, n_dir = self.rng, KIND_SPECS[kind], len(self.codes)
        start_no = len(group)
        weights = np.zeros((n, n_dir))
        primary = (
            rng.choice(PRIMARY_WEIGHTS, size=n, p=PRIMARY_WEIGHT_P) if n_dir > 1 else np.ones(n)
        )
        weights[:, d] = primary
        if n_dir > 1:
            other = (d + rng.integers(1, n_dir, size=n)) % n_dir
            weights[np.arange(n), other] += 1.0 - primary
        level = rng.choice(len(spec.levels), size=n, p=np.array(spec.levels) / sum(spec.levels))
        offline = rng.random(n) < spec.offline_share
        region = np.where(offline, rng.choice(len(REGION_CODES), size=n, p=REGION_WEIGHTS), -1)
        grades = rng.choice(len(GRADE_RANGES), size=n, p=GRADE_RANGE_WEIGHTS)
        duration = rng.integers(spec.duration_days[0], spec.duration_days[1] + 1, size=n)
        new = SeriesAttrs(
            weights=weights,
            level=level.astype(np.int8),
            offline=offline,
            region=region.astype(np.int16),
            grade_min=np.array([GRADE_RANGES[g][0] for g in grades], dtype=np.int16),
            grade_max=np.array([GRADE_RANGES[g][1] for g in grades], dtype=np.int16),
            difficulty=np.array(LEVEL_DIFFICULTY)[level]
            + spec.difficulty
            + 0.3 * rng.standard_normal(n),
            alpha=rng.uniform(0.8, 1.4, size=n),
            size_u=rng.random(n),
            is_team=rng.random(n) < spec.team_share,
            max_score=rng.choice(np.array(spec.max_scores, dtype=float), size=n)
            if spec.max_scores
            else np.full(n, np.nan),
            duration=duration,
            start_day=(9 + rng.random(n) * (272 - 9 - duration)).astype(np.int64),
            priority=rng.random(n),
            nested=(kind == ActivityKind.PROJECT_SCHOOL) & (rng.random(n) < NESTED_SHARE),
        )
        group.attrs = new if group.attrs is None else group.attrs.extended(new)
        label = RU_LABELS[kind].capitalize()
        for i in range(n):
            no = start_no + i + 1
            group.ids.append(f"{KIND_SLUG[kind]}-{self.codes[d]}-{no:04d}")
            topic = TOPICS[(no - 1) % len(TOPICS)]
            suffix = f" {(no - 1) // len(TOPICS) + 1}" if no > len(TOPICS) else ""
            group.titles.append(f"{label} «{topic}{suffix}» ({self.dir_titles[d]})")

    def _editions(
        self,
        group: SeriesGroup,
        chosen: np.ndarray,
        kind: ActivityKind,
        year: int,
        lo: int,
        hi: int,
    ) -> Activities:
        assert group.attrs is not None
        rng, a, n = self.rng, group.attrs, len(chosen)
        duration = a.duration[chosen]
        start_day = np.clip(a.start_day[chosen] + rng.integers(-5, 6, size=n), 9, 272 - duration)
        start = clock.season_start(year) + start_day * clock.DAY
        end = start + (duration - 1) * clock.DAY
        deadline = start - rng.integers(1, 15, size=n) * clock.DAY
        published = deadline - rng.integers(14, 57, size=n) * clock.DAY
        u = np.clip(a.size_u[chosen] + 0.1 * rng.standard_normal(n), 0.0, 1.0)
        series = np.array(group.ids, dtype=object)[chosen]
        return Activities(
            activity_id=np.array(
                [f"a-{s}-{year}{self.edition_suffix}" for s in series], dtype=object
            ),
            series_id=series,
            title=np.array(
                [f"{group.titles[c]}, {year}/{(year + 1) % 100:02d}" for c in chosen], dtype=object
            ),
            kind=np.full(n, kind_index(kind), dtype=np.int8),
            weights=a.weights[chosen],
            level=a.level[chosen],
            offline=a.offline[chosen],
            region=a.region[chosen],
            start_at=start,
            end_at=end,
            deadline=deadline,
            published_at=published,
            grade_min=a.grade_min[chosen],
            grade_max=a.grade_max[chosen],
            capacity=np.full(n, hi, dtype=np.int64),
            max_score=a.max_score[chosen],
            is_team=a.is_team[chosen],
            list_level=np.zeros(n, dtype=np.int8),
            difficulty=a.difficulty[chosen] + 0.15 * rng.standard_normal(n),
            alpha=a.alpha[chosen],
            tau=0.6 * rng.standard_normal((n, N_TASKS)),
            target_size=lo * (hi / lo) ** u,
            nested_hackathon=a.nested[chosen],
        )

    # --- the NTI Olympiad ---------------------------------------------------------------------
    def plan_olympiad(self, year: int) -> Activities:
        """Stage 1, stage 2 and final of every profile for one season, with selection edges.

        Stage 1 is open from mid-October for 40 days, the team stage follows ten days after it,
        finals run in late February to early April. The final's capacity is set later from the
        number of stage-1 entrants (``funnel_share``). A season asked for again (the next chunk
        of a world) gets a copy of the same editions, so each chunk sets its own final capacity.
        """
        if year in self._olympiads:
            planned = self._olympiads[year]
            return planned.take(np.arange(len(planned)))
        rng, n_dir = self.rng, len(self.codes)
        rows: list[Activities] = []
        s1_start = clock.instant_from(year, 10, 15) + rng.integers(0, 7) * clock.DAY
        s2_start = s1_start + 50 * clock.DAY
        published = s1_start - rng.integers(50, 70) * clock.DAY
        for d in range(n_dir):
            final_start = clock.instant_from(year + 1, 2, 20) + rng.integers(0, 45) * clock.DAY
            starts = (s1_start, s2_start, final_start)
            ids = [f"a-nti-{self.codes[d]}-{year}-{slug}" for _, slug, _ in OLYMPIAD_STAGES]
            for (kind, slug, stage_ru), start, aid in zip(
                OLYMPIAD_STAGES, starts, ids, strict=True
            ):
                spec = KIND_SPECS[kind]
                weights = np.zeros((1, n_dir))
                weights[0, d] = 1.0
                final = kind == ActivityKind.OLYMPIAD_FINAL
                region = rng.choice(len(REGION_CODES), p=REGION_WEIGHTS) if final else -1
                rows.append(
                    Activities(
                        activity_id=np.array([aid], dtype=object),
                        series_id=np.array([f"nti-{self.codes[d]}-{slug}"], dtype=object),
                        title=np.array(
                            [
                                f"Олимпиада НТИ: {self.dir_titles[d]}, {stage_ru}, "
                                f"{year}/{(year + 1) % 100:02d}"
                            ],
                            dtype=object,
                        ),
                        kind=np.array([kind_index(kind)], dtype=np.int8),
                        weights=weights,
                        level=np.array([NATIONAL], dtype=np.int8),
                        offline=np.array([final]),
                        region=np.array([region], dtype=np.int16),
                        start_at=np.array([start]),
                        end_at=np.array([start + (spec.duration_days[0] - 1) * clock.DAY]),
                        deadline=np.array([start - clock.DAY]),
                        published_at=np.array([published]),
                        grade_min=np.array([OLYMPIAD_GRADES[0]], dtype=np.int16),
                        grade_max=np.array([OLYMPIAD_GRADES[1]], dtype=np.int16),
                        capacity=np.array([-1], dtype=np.int64),
                        max_score=np.array([float(spec.max_scores[0])]),
                        is_team=np.array([spec.team_share > 0]),
                        list_level=np.array([self.list_levels[d]], dtype=np.int8),
                        difficulty=np.array([LEVEL_DIFFICULTY[NATIONAL] + spec.difficulty]),
                        alpha=np.array([1.1]),
                        tau=0.6 * rng.standard_normal((1, N_TASKS)),
                        target_size=np.array([np.nan]),
                        nested_hackathon=np.array([False]),
                    )
                )
            self.edges.add(ids[0], ids[1], EdgeType.SELECTION)
            self.edges.add(ids[1], ids[2], EdgeType.SELECTION)
        planned = Activities.concat(rows)
        self._olympiads[year] = planned.take(np.arange(len(planned)))
        return planned

    # --- nesting ------------------------------------------------------------------------------
    def nested_hackathons(self, schools: Activities) -> Activities:
        """A two-day hackathon at the end of each given project school, linked by a nesting edge."""
        n = len(schools)
        hack = kind_index(ActivityKind.HACKATHON)
        child = schools.take(np.arange(n))
        child.activity_id = np.array([f"{a}-hack" for a in schools.activity_id], dtype=object)
        child.series_id = np.array([f"{s}-hack" for s in schools.series_id], dtype=object)
        child.title = np.array(
            [f"Хакатон проектной школы: {t}" for t in schools.title], dtype=object
        )
        child.kind = np.full(n, hack, dtype=np.int8)
        child.start_at = np.maximum(schools.start_at, schools.end_at - clock.DAY)
        child.is_team = np.ones(n, dtype=bool)
        child.tau = 0.6 * self.rng.standard_normal((n, N_TASKS))
        child.nested_hackathon = np.zeros(n, dtype=bool)
        for parent, kid in zip(schools.activity_id, child.activity_id, strict=True):
            self.edges.add(parent, kid, EdgeType.NESTING)
        return child
