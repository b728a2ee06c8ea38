"""goescape: report the Go heap escapes that a change introduces."""

__version__ = "0.1.0"
