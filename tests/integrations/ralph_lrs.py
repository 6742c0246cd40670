"""Run Ralph's LRS (``ralph-malph``) on loopback with its file-system backend, for the xAPI end-to-end test.

Run by the Ralph venv's Python (``python ralph_lrs.py HOST PORT``; not imported by the test suite): Ralph's pinned
dependencies conflict with Sparring's, so it lives in its own venv (tests/integrations/test_xapi_lrs.py).

Ralph 5.1.0's file-system LRS backend writes every POST with the data backend's default operation ``create``,
which refuses to write to an existing file: the first POST creates ``fs_lrs.jsonl`` and every later one fails
with a 500. The backend supports ``append``; this launcher makes that its default. Nothing else is changed: the
API, its authentication and its statement validation are Ralph's own.
"""

from __future__ import annotations

import sys

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    import uvicorn
    from ralph.api import app

    uvicorn.run(app, host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
