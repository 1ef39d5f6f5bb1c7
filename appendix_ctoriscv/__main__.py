"""`python -m appendix_ctoriscv prog.c`: the compiler driver (see main.py)."""

import sys

from appendix_ctoriscv.main import main

sys.exit(main())
