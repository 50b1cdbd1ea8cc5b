"""``python -m interop``: the command line (see ``interop --help``)."""

import sys

from interop.cli import main

sys.exit(main())
