"""Recommendations of next events and courses, and dated season trajectories toward a goal.

One interface (:class:`~models.recommend.base.Recommender`), one algorithm per module, one shared
feasibility filter (:mod:`models.recommend.feasibility`) and the trajectory planner
(:func:`models.recommend.planner.plan`). See docs/recommend.md.
"""
