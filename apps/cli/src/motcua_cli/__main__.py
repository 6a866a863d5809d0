"""`python -m motcua_cli` is the `motcua` command."""

from motcua_cli.main import main

raise SystemExit(main())
