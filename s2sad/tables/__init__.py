"""The machinery behind :func:`s2sad.trace` and :func:`s2sad.graph`: a function's
IR interpreted on values, row by row, with each row's tangent or adjoint rule
read from the rule registry and printed as the seeds' tables write it.

From the bottom: ``formatting`` and ``expr`` (expressions and how they print),
``algebra`` and ``symbolic`` (building them), ``values``, ``nodes`` and
``symbolic_rules`` (rules on (symbol, value) pairs), ``tangents``,
``interpreter``, ``table``, ``adjoints``, ``run``.
"""
