"""``python -m graph.cli``: the ``kzgraph`` command."""

import sys

from graph.cli.main import main

sys.exit(main())
