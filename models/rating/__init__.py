"""The rule-based contest rating «Талант 20.35».

Rules as data, one engine, explanations and what-ifs.
"""
