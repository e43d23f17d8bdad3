import sys

from reflective_client.cli import main

sys.exit(main())
