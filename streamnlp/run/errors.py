"""UserError: a mistake in the user's input; the CLI prints its one line and exits with status 2."""


class UserError(ValueError):
    """Bad input (path, shard, flag, corpus). The message names the culprit and says what to do."""
