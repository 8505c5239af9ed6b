"""`python tests/benchmarks [--quick]`: the same as `python tests/benchmarks/run_all.py`."""
import sys

from run_all import main

sys.exit(main())
