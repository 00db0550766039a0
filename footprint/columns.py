"""Column names, each spelled once.

The same names are used in ingestion files, in the store's tables and in snapshot frames, so a value
can be followed from a source file to a feature without renaming.
"""

from __future__ import annotations


class Columns:
    """Every column name of the footprint domain."""

    # identities
    SOURCE = "source"
    SOURCE_PARTICIPANT_ID = "source_participant_id"

    # participants
    PARTICIPANT_ID = "participant_id"
    GRADE = "grade"
    GRADE_YEAR = "grade_year"
    REGION = "region"
    SCHOOL_ID = "school_id"
    REGISTERED_AT = "registered_at"
    ACCOUNT_VERIFIED_AT = "account_verified_at"
    ACCOUNT_VERIFIED = "account_verified"
    DECLARED_INTERESTS = "declared_interests"
    CONSENT_STATUS = "consent_status"
    CONSENT_CHANGED_AT = "consent_changed_at"

    # activities
    ACTIVITY_ID = "activity_id"
    SERIES_ID = "series_id"
    TITLE = "title"
    KIND = "kind"
    DIRECTIONS = "directions"
    DIRECTION = "direction"
    WEIGHT = "weight"
    LEVEL = "level"
    FORMAT = "format"
    START_AT = "start_at"
    END_AT = "end_at"
    REGISTRATION_DEADLINE = "registration_deadline"
    GRADE_MIN = "grade_min"
    GRADE_MAX = "grade_max"
    CAPACITY = "capacity"
    MAX_SCORE = "max_score"
    IS_TEAM = "is_team"
    OLYMPIAD_LIST_LEVEL = "olympiad_list_level"
    PUBLISHED_AT = "published_at"

    # directions (the store's list of directions; ``DIRECTION`` holds a code elsewhere)
    CODE = "code"
    TITLE_RU = "title_ru"
    AKA_RU = "aka_ru"

    # activity edges
    FROM_ACTIVITY_ID = "from_activity_id"
    TO_ACTIVITY_ID = "to_activity_id"
    EDGE_TYPE = "edge_type"

    # achievements
    ACHIEVEMENT_ID = "achievement_id"
    SOURCE_RECORD_ID = "source_record_id"
    TEAM_ID = "team_id"
    RESULT = "result"
    SCORE = "score"
    RANK = "rank"
    EVIDENCE = "evidence"
    STATUS = "status"
    STATUS_CHANGED_AT = "status_changed_at"
    ACHIEVED_AT = "achieved_at"
    RECORDED_AT = "recorded_at"
    N_SOURCES = "n_sources"

    # consents
    CHANGED_AT = "changed_at"
    SCOPE = "scope"

    # ground truth written by the simulator (never read by model inputs)
    TRUE_ABILITY = "true_ability"
    TRUE_COMPETENCE = "true_competence"
    AS_OF = "as_of"
