"""Reports: numbers and charts built from stored scorecards, usable outside a web request (a job, the CLI).

- ``progress``: a learner's overall, per-skill and per-criterion series and weakest skill.
- ``charts``: server-side SVG trend lines and bars.

Reports may use storage and every engine package; they never import services, web or cli. Access rules
(who may see whose progress) are applied by the caller, in ``sparring.services``.
"""
