"""One small hierarchy of errors that people see: each names the file, key or row it is about."""

from __future__ import annotations


class IOCError(Exception):
    """Base of every error shown to a person (CLI line, st.error); never a traceback."""


class ConfigError(IOCError):
    def __init__(self, where: str, problems: list[str]):
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


class SourceError(IOCError):
    """A source failed as a whole: nothing of its payload loads, the table keeps its rows."""

    def __init__(self, source: str, message: str):
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")


class FetchError(IOCError):
    """A payload could not be fetched (network, HTTP status, error body)."""


class ParseError(IOCError):
    """A payload could not be read (encoding, format, missing header)."""


class QueryError(IOCError):
    """A query on the warehouse failed; the message is DuckDB's own."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was stopped."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the query ran longer than {seconds:g} s and was stopped")


class QueryBusy(QueryError):
    """Too many queries were running at once for this one to start within its time limit."""

    def __init__(self, running: int):
        self.running = running
        super().__init__(f"{running} queries are already running; try again in a moment")


class NameTaken(IOCError):
    """Something people name (a saved view) already has that name."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"a view named {name!r} already exists")


class NoSnapshotError(IOCError):
    """No snapshot has been published yet."""
