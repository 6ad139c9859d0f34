import sys

from zeerec.cli import main

sys.exit(main())
