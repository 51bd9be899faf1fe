"""python -m streamnlp: the stream-train command line."""
from .cli import run

run()
