"""The ground floor: the types every stage shares, importing no stage.

``findings`` (what a column is, rule checks), ``thresholds`` (one set of limits), ``risk`` and
``attack`` (each stage's typed result), ``report`` (the inspection report), ``rules`` (the rule
catalogue). Stages import from here; nothing here imports a stage.
"""
