"""Coaching: what a learner does with a scored conversation next.

Today: winning lines (``winning_lines``: phrasings a learner keeps, tagged with the situation they fit).
Drills made from a moment, assignments and the loop closed by the next real call go here too
(docs/architecture.md). The scorecard's own feedback (what landed, what missed, next drill, better line) is
written by the scorer that produced the scorecard (``sparring.scoring.feedback``; docs/architecture.md says why).
Coaching may use storage and every engine package; it never imports services, web or cli.
"""
