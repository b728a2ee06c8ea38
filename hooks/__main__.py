from goescape.cli import main

raise SystemExit(main())
