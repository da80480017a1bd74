from venvbuild.cli import main

raise SystemExit(main())
