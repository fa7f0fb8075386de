"""``python -m ktnas_core.cli``: the ``ktnas`` command."""

from .main import main

raise SystemExit(main())
