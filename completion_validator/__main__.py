"""`python -m completion_validator`: the same command as `completion-validator`."""

from __future__ import annotations

import sys

from completion_validator.cli import main

sys.exit(main())
