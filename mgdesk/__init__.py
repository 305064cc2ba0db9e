"""mgdesk: offline decision support for adult hypomagnesemia."""

__version__ = "0.1.0"
