"""goescape-bot: review comments on the heap escapes a pull request introduces."""
