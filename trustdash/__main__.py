import sys

from trustdash.cli import main

sys.exit(main())
