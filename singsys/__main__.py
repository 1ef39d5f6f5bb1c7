"""`python -m singsys` is the `singsys` command."""

import sys

from singsys.cli import main

sys.exit(main())
