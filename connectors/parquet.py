"""Parquet files (file or URL), as statistics offices and data platforms export them, read with their types."""

from __future__ import annotations

import os
import tempfile

import duckdb
import pyarrow as pa
from pydantic import Field

from connectors.base import ROW, DocumentConnector, HttpOptions, Parsed, Payload
from ioc.errors import ParseError
from ioc.model import Source


class Options(HttpOptions):
    columns: list[str] | None = Field(None, description="Only these columns of the file; default: all of them.")


class Parquet(DocumentConnector):
    """Parquet files (file or URL), as statistics offices and data platforms export them, read with their types."""

    kind = "parquet"
    options_model = Options
    extension = "parquet"

    def parse(self, src: Source, opts: Options, payloads: list[Payload]) -> Parsed:
        payload = payloads[0]
        if not payload.head(4).startswith(b"PAR1"):
            raise ParseError("this is not a Parquet file (it does not start with PAR1): check the connector")
        landed, tmp = payload.landed or payload.file, None
        if landed is None:  # bytes fetched but not landed: DuckDB reads files
            with tempfile.NamedTemporaryFile(suffix=".parquet", delete=False) as fh:
                fh.write(payload.data)
            tmp = fh.name
        path = str(landed or tmp)
        con = duckdb.connect()  # an in-memory reading engine: nothing is written anywhere
        try:
            names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": path}).fetchall()]
            wanted = opts.columns or names
            missing = [c for c in wanted if c not in names]
            if missing:
                raise ParseError(f"options.columns: {', '.join(missing)} not in the file; it has: {', '.join(names)}")
            cols = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
            table: pa.Table = con.sql(f"SELECT {cols} FROM read_parquet($p)", params={"p": path}).to_arrow_table()
        except duckdb.Error as exc:
            raise ParseError(f"not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
        finally:
            con.close()
            if tmp:
                os.unlink(tmp)
        table = table.append_column(ROW, pa.array(range(1, len(table) + 1), pa.int64()))
        return Parsed(table, notes=[f"Parquet: {len(table):,} rows, {len(wanted)} columns, types as stored"])
