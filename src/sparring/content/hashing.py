"""Content versions: a short hash of the canonical content, so a scored rep pins what it was scored with."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
