"""Simulated participants: who registers when, their grade, region, school and hidden traits.

Hidden traits (latent ability, interests, engagement, cold start, drop-out time) drive behaviour and
results but never reach ``sources/``; only the truth files report ability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import clock
from simulator.config import SimulationConfig

REGIONS: tuple[tuple[str, float], ...] = (
    ("RU-MOW", 14.0),
    ("RU-MOS", 8.0),
    ("RU-SPE", 7.0),
    ("RU-TA", 5.0),
    ("RU-SVE", 4.5),
    ("RU-BA", 4.0),
    ("RU-KDA", 4.0),
    ("RU-NIZ", 3.0),
    ("RU-NVS", 3.0),
    ("RU-ROS", 3.0),
    ("RU-SAM", 2.5),
    ("RU-CHE", 2.5),
    ("RU-PER", 2.0),
    ("RU-KYA", 2.0),
    ("RU-VOR", 2.0),
    ("RU-TYU", 2.0),
    ("RU-IRK", 1.5),
    ("RU-TOM", 1.5),
    ("RU-KGD", 1.0),
    ("RU-YAR", 1.0),
    ("RU-KHM", 1.0),
    ("RU-SA", 1.0),
)
"""Region codes (ISO 3166-2:RU) and relative numbers of participants."""

REGION_CODES: tuple[str, ...] = tuple(code for code, _ in REGIONS)
REGION_WEIGHTS: np.ndarray = np.array([w for _, w in REGIONS]) / sum(w for _, w in REGIONS)

NEW_GRADE_WEIGHTS = np.array([0.14, 0.17, 0.18, 0.17, 0.15, 0.11, 0.08])
"""Grades 5..11 of participants registering during a simulated season."""
INITIAL_GRADE_WEIGHTS = np.array([0.16, 0.20, 0.20, 0.18, 0.15, 0.11])
"""Grades 6..11, in the first season, of participants registered before it."""
MAX_ENGAGEMENT = 10.0
"""Engagement cap: even the busiest take at most about 10x the mean number of activities."""
PARTICIPANTS_PER_SCHOOL = 40
NO_SCHOOL_SHARE = 0.1


@dataclass(frozen=True)
class Population:
    """Column arrays of all participants (index ``i`` is the internal participant index).

    ``registered_at``, ``verified_at`` and ``dropout_at`` are ``datetime64[s]`` (``NaT`` = never);
    ``school`` is -1 when unknown; ``declared`` is a bit mask over directions (0 = none declared).
    """

    ids: np.ndarray
    grade_reg: np.ndarray
    grade_year: np.ndarray
    region: np.ndarray
    school: np.ndarray
    registered_at: np.ndarray
    verified_at: np.ndarray
    declared: np.ndarray
    base_ability: np.ndarray
    interest: np.ndarray
    engagement: np.ndarray
    cold: np.ndarray
    dropout_at: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ids)

    def grade_in(self, season_year: int) -> np.ndarray:
        """School grade of every participant in the season starting in ``season_year``."""
        return self.grade_reg.astype(np.int64) + (season_year - self.grade_year.astype(np.int64))


def pseudonymous_ids(
    prefix: str,
    n: int,
    rng: np.random.Generator,
    width: int = 7,
    offset: int = 0,
    total: int | None = None,
) -> np.ndarray:
    """``n`` distinct ids ``<prefix><digits>`` in random order (ids reveal nothing about order).

    A chunk of a bigger world takes the numbers ``offset .. offset + n - 1`` and pads to the
    width of the whole world's ``total``, so ids stay distinct and equally long across chunks.
    """
    width = max(width, len(str((total or n) - 1)))
    numbers = (offset + rng.permutation(n)).astype(str)
    return np.char.add(prefix, np.char.zfill(numbers, width))


def draw_population(
    config: SimulationConfig,
    n_directions: int,
    rng: np.random.Generator,
    id_offset: int = 0,
    id_total: int | None = None,
) -> Population:
    """Draw every participant of the world at once (vectorised over participants).

    Registration: ``initial_share`` registered in the one to three seasons before the first, the
    rest during the simulated seasons (more in later seasons, most in September-October); always
    between 1 September and 31 May, so ``grade_year`` is the registration's season. Ability:
    multivariate normal with ``ability_correlation`` between directions; interests: Dirichlet,
    tilted toward the directions a participant is good at; engagement: lognormal with mean 1.
    ``id_offset`` and ``id_total`` place a chunk's ids in the whole world's id range.
    """
    n = config.participants
    first = config.first_season

    initial = rng.random(n) < config.initial_share
    grade_reg = np.empty(n, dtype=np.int16)
    grade_year = np.empty(n, dtype=np.int16)
    season_of_reg = np.empty(n, dtype=np.int64)

    # registered before the first season: grade in the first season 6..11, registered 1-3 years
    # earlier while already in grade 5 or above
    n_init = int(initial.sum())
    g_first = 6 + rng.choice(len(INITIAL_GRADE_WEIGHTS), size=n_init, p=INITIAL_GRADE_WEIGHTS)
    years_before = np.minimum(rng.integers(1, 4, size=n_init), g_first - 5)
    grade_reg[initial] = g_first - years_before
    season_of_reg[initial] = first - years_before

    # registered during a simulated season: later seasons recruit a little more
    n_new = n - n_init
    season_w = 1.0 + 0.15 * np.arange(config.seasons)
    k = rng.choice(config.seasons, size=n_new, p=season_w / season_w.sum())
    season_of_reg[~initial] = first + k
    grade_reg[~initial] = 5 + rng.choice(len(NEW_GRADE_WEIGHTS), size=n_new, p=NEW_GRADE_WEIGHTS)
    grade_year[:] = season_of_reg

    # day of registration, within Sep-May so that grade_year is the registration's season by the
    # project calendar: uniform for earlier cohorts, autumn-heavy within the simulated seasons
    years = np.unique(season_of_reg)
    opens = np.array([clock.season_start(int(y)) for y in years])
    season_open = opens[np.searchsorted(years, season_of_reg)]
    day = np.where(initial, rng.random(n) * 272.0, rng.beta(1.2, 2.2, size=n) * 272.0)
    registered_at = clock.add_days(season_open, day)

    verified = rng.random(n) < config.verified_account_share
    verified_at = clock.add_days(registered_at, 0.1 + rng.exponential(4.0, size=n))
    export_at = clock.export_instant(first, config.seasons)
    verified_at[~verified | (verified_at > export_at)] = np.datetime64("NaT")

    region = rng.choice(len(REGION_CODES), size=n, p=REGION_WEIGHTS).astype(np.int16)
    school = _draw_schools(region, n, rng)

    d, rho = n_directions, config.ability_correlation
    corr = np.full((d, d), rho) + (1 - rho) * np.eye(d)
    base = rng.standard_normal((n, d)) @ np.linalg.cholesky(corr).T
    raw_interest = rng.gamma(config.interest_concentration, size=(n, d)) * np.exp(0.4 * base)
    interest = raw_interest / raw_interest.sum(axis=1, keepdims=True)
    declared_mask = (interest >= 0.25) & (rng.random(n) < config.declared_interest_share)[:, None]
    declared = (declared_mask * (1 << np.arange(d))).sum(axis=1).astype(np.int64)

    sigma = config.engagement_sigma
    engagement = np.minimum(np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2), MAX_ENGAGEMENT)
    cold = rng.random(n) < config.cold_start_share
    # activity clock starts at registration, or at the first season for earlier cohorts (the
    # world starts from the participants still around then)
    active_from = np.maximum(registered_at, clock.season_start(first))
    active_years = rng.exponential(config.mean_active_years, size=n)
    dropout_at = clock.add_days(active_from, active_years * 365.25)

    return Population(
        ids=pseudonymous_ids("p", n, rng, offset=id_offset, total=id_total),
        grade_reg=grade_reg,
        grade_year=grade_year,
        region=region,
        school=school,
        registered_at=registered_at,
        verified_at=verified_at,
        declared=declared,
        base_ability=base,
        interest=interest.astype(np.float64),
        engagement=engagement,
        cold=cold,
        dropout_at=dropout_at,
    )


def _draw_schools(region: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A school index per participant, schools nested in regions with uneven sizes; -1 = unknown."""
    counts = np.bincount(region, minlength=len(REGION_CODES))
    n_schools = np.maximum(3, np.round(counts / PARTICIPANTS_PER_SCHOOL)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_schools)[:-1]])
    within = np.floor(n_schools[region] * rng.random(n) ** 1.6).astype(np.int64)
    school = offsets[region] + within
    school[rng.random(n) < NO_SCHOOL_SHARE] = -1
    return school
