"""`python -m ch3_brrr`: the kernel ladders and the roofline (the same as `singsys bench`)."""

from ch3_brrr.bench import main

raise SystemExit(main())
