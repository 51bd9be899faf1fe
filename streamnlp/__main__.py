"""python -m streamnlp: the stream-train command line."""
import sys

from .cli import main

sys.exit(main())
