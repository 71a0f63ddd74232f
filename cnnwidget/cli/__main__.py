"""``python -m cnnwidget.cli``: the ``cnnwidget`` command."""

import sys

from .main import main

sys.exit(main())
