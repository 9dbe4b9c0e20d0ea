"""``python -m s2sad``: the command line (see :mod:`s2sad.cli`)."""
import sys

from .cli import main

sys.exit(main())
