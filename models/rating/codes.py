"""Machine-readable codes of the rating, each spelled once, with their Russian texts.

The platform renders its own wording from the codes; the Russian texts here are the default wording
the API returns next to each code. Templates take named parameters (``{cap}``, ``{n}``, ...),
which the explanation also returns, so a client can build its own sentence.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class View(StrEnum):
    """Official rating (verified achievements, verified accounts) or provisional (as if all pending
    achievements and accounts were verified)."""

    OFFICIAL = "official"
    PROVISIONAL = "provisional"


class Diploma(StrEnum):
    WINNER = "winner"
    PRIZE_WINNER = "prize_winner"
    NONE = "none"


class GapCode(StrEnum):
    """How far a participant is from a diploma (what-if)."""

    HELD = "held"  # the diploma (or a higher one) is already awarded
    NO_RATED = "no_rated"  # nobody is rated in the direction yet: no thresholds
    ZERO_QUOTA = "zero_quota"  # the quota rounds to zero at the current number of rated
    NEEDS_POINTS = "needs_points"  # more raw points put the participant in the band
    TIED_GROUP = "tied_group"  # the participant's tie group straddles the band's end
    TIE_BREAKS_ONLY = "tie_breaks_only"  # S is capped: only the tie-breaks can move them ahead


class ReasonCode(StrEnum):
    """Why an achievement did not count (or why a participant is not rated).

    The order is the order of the checks: an achievement gets the first reason that applies.
    """

    REJECTED = "rejected"
    OUT_OF_SEASON = "out_of_season"
    UNVERIFIED = "unverified"
    ACCOUNT_UNVERIFIED = "account_unverified"
    NO_POINTS = "no_points"
    DUPLICATE_ROLE = "duplicate_role"
    SUPERSEDED_BY_LATER_STAGE = "superseded_by_later_stage"
    SAME_STAGE_IN_CHAIN = "same_stage_in_chain"
    CAPPED = "capped"
    BELOW_BEST_N = "below_best_n"
    NO_COUNTED_ACHIEVEMENTS = "no_counted_achievements"


class NoteCode(StrEnum):
    """Remarks on an achievement that did count."""

    RAISED_TO_EARLIER_STAGE = "raised_to_earlier_stage"
    HYPOTHETICAL = "hypothetical"


# Integer codes used inside the engine's frames: 0 = counted, i = REASONS[i - 1].
COUNTED: Final = 0
REASONS: Final[tuple[ReasonCode, ...]] = tuple(ReasonCode)
REASON_INDEX: Final[dict[ReasonCode, int]] = {code: i + 1 for i, code in enumerate(REASONS)}

REASON_TEXT_RU: Final[dict[ReasonCode, str]] = {
    ReasonCode.REJECTED: "Достижение отклонено модератором.",
    ReasonCode.OUT_OF_SEASON: (
        "Дата достижения вне сезона {season} (1 сентября — 31 мая по московскому времени); "
        "июнь — август не входят ни в один сезон."
    ),
    ReasonCode.UNVERIFIED: "Достижение ещё не подтверждено модератором.",
    ReasonCode.ACCOUNT_UNVERIFIED: (
        "Учётная запись участника не подтверждена: в официальный рейтинг входят только "
        "подтверждённые учётные записи."
    ),
    ReasonCode.NO_POINTS: "Результат «{result}» не приносит баллов.",
    ReasonCode.DUPLICATE_ROLE: (
        "У участника несколько результатов в этом мероприятии; учтён лучший из них."
    ),
    ReasonCode.SUPERSEDED_BY_LATER_STAGE: (
        "В этой цепочке отбора учтён более поздний этап, до которого дошёл участник."
    ),
    ReasonCode.SAME_STAGE_IN_CHAIN: (
        "В этой цепочке отбора учтён лучший результат на том же этапе."
    ),
    ReasonCode.CAPPED: (
        "Превышен лимит: за сезон по направлению учитываются не более {cap} лучших "
        "достижений вида «{kind}»."
    ),
    ReasonCode.BELOW_BEST_N: "Не вошло в {n} лучших достижений участника по направлению.",
    ReasonCode.NO_COUNTED_ACHIEVEMENTS: (
        "В сезоне {season} по направлению нет засчитанных достижений."
    ),
}

NOTE_TEXT_RU: Final[dict[NoteCode, str]] = {
    NoteCode.RAISED_TO_EARLIER_STAGE: (
        "Баллы этапа подняты до {points} — баллов более раннего этапа этой цепочки, чтобы "
        "переход на следующий этап не снижал рейтинг."
    ),
    NoteCode.HYPOTHETICAL: "Предполагаемое достижение (расчёт «что если»).",
}

GAP_TEXT_RU: Final[dict[GapCode, str]] = {
    GapCode.HELD: "Диплом уровня «{diploma}» уже получен (или выше).",
    GapCode.NO_RATED: "В направлении пока нет участников рейтинга: порогов ещё нет.",
    GapCode.ZERO_QUOTA: "При нынешнем числе участников квота «{diploma}» равна нулю.",
    GapCode.NEEDS_POINTS: (
        "До диплома «{diploma}» не хватает {needed} балла при нынешних порогах: нужно набрать "
        "не меньше {threshold}."
    ),
    GapCode.TIED_GROUP: (
        "Вы делите {place}-е место ещё с {others} участниками с такими же показателями; вся "
        "группа не помещается в квоту «{diploma}», поэтому этот диплом не получил никто из неё. "
        "Чтобы получить его, нужно опередить остальных участников группы: набрать не меньше "
        "{threshold} балла (на {needed} больше) или обойти их по дополнительным показателям."
    ),
    GapCode.TIE_BREAKS_ONLY: (
        "Нормированный балл уже равен 100: до диплома «{diploma}» можно подняться только по "
        "дополнительным показателям (результаты национального и международного уровня, дата)."
    ),
}

DIPLOMA_TEXT_RU: Final[dict[Diploma, str]] = {
    Diploma.WINNER: "победитель",
    Diploma.PRIZE_WINNER: "призёр",
    Diploma.NONE: "без диплома",
}

VIEW_TEXT_RU: Final[dict[View, str]] = {
    View.OFFICIAL: "официальный рейтинг",
    View.PROVISIONAL: "предварительный рейтинг (как если бы всё на проверке было подтверждено)",
}


def reason_text(code: ReasonCode, **params: object) -> str:
    """The Russian text of ``code`` with its parameters filled in."""
    return REASON_TEXT_RU[code].format(**params)


def note_text(code: NoteCode, **params: object) -> str:
    """The Russian text of a note with its parameters filled in."""
    return NOTE_TEXT_RU[code].format(**params)


def gap_text(code: GapCode, **params: object) -> str:
    """The Russian text of a what-if gap with its parameters filled in."""
    return GAP_TEXT_RU[code].format(**params)
