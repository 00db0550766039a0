"""Column names of the rating's frames, each spelled once.

Footprint columns (participant_id, direction, activity_id, ...) come from :mod:`footprint.columns`;
the names below are the rating's own.
"""

from __future__ import annotations


class RatingColumns:
    """Columns of the rating table, the contributions frame and the thresholds frame."""

    # rating table (one row per participant, direction and season)
    SEASON = "season"
    RAW_POINTS = "raw_points"
    SCORE = "score"
    PLACE = "place"
    DIPLOMA = "diploma"
    PROVISIONAL = "provisional"
    RULES_VERSION = "rules_version"
    N_COUNTED = "n_counted"
    TIE_RESULTS = "tie_break_results"
    DECIDING_AT = "deciding_at"
    LAST_POSITION = "_last_position"  # private: last position of the participant's tie group
    RAW_UNITS = "_raw_units"  # private: R in ten-thousandths (int), what places compare
    SCORE_UNITS = "_score_units"  # private: S in ten-thousandths (int), what places compare

    # thresholds (one row per direction)
    N_RATED = "n_rated"
    R_REF = "r_ref"
    WINNER_SLOTS = "winner_slots"
    PRIZE_WINNER_SLOTS = "prize_winner_slots"
    N_WINNERS = "n_winners"
    N_PRIZE_WINNERS = "n_prize_winners"

    # contributions (one row per achievement and direction), integer-coded inside the engine
    ROW = "row"  # position of the achievement in the engine's achievement frame
    PID = "pid"  # participant code
    DIR = "dir"  # direction code
    ACT = "act"  # activity code
    KIND_CODE = "kind_code"
    CHAIN = "chain"  # selection chain id, -1 outside chains
    DEPTH = "depth"  # stage depth within the chain
    ORDER = "order"  # deterministic tie-break: rank of achievement_id
    DATE = "date"  # achieved_at as int64 microseconds
    BASE = "base"
    LEVEL_FACTOR = "level_factor"
    RESULT_FACTOR = "result_factor"
    QUALITY = "quality"
    LIST_BONUS = "list_bonus"
    POINTS = "points"  # before the direction weight
    UNITS = "units"  # points x direction weight in ten-thousandths (int), before the chain floor
    CREDIT = "credit"  # ten-thousandths the achievement adds to R (after the chain floor); 0 if not
    REASON = "reason"  # 0 = counted, else index into codes.REASONS
    FLOOR_ROW = "floor_row"  # ROW of the earlier stage whose points raised this one, else -1
    TIE_LEVEL = "tie_level"  # the achievement's level counts for the tie-break
