"""The web server's access log without query strings: an OAuth callback's `code` and `state` (and any
other value a provider puts in a URL) never reach a log line."""

import logging

ACCESS_LOGGER = "uvicorn.access"


class NoQueryStrings(logging.Filter):
    """Cut the query string off the path in uvicorn's access records (args: client, method, path, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
        logger.addFilter(NoQueryStrings())
