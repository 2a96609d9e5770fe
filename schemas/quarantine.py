"""`quarantine`: everything that could not be used, and why (input files and invalid rows alike)."""
import pandera.polars as pa


class Quarantine(pa.DataFrameModel):
    """Everything that could not be used, and why: rejected input files/records and rows that failed validation."""

    table_name: str = pa.Field(description="Table the item was meant for (documents for inputs; the stage's table for invalid rows).")
    source_uri: str = pa.Field(nullable=True, description="Input path relative to the input folder (+#N for a record), when known.")
    record_key: str = pa.Field(nullable=True, description="Key of the rejected row or record (row id, JSON line number).")
    rule: str = pa.Field(str_length={"min_value": 1}, description="Name of the rule that rejected it (e.g. empty_file, broken_json_line, schema:offsets_in_range).")
    detail: str = pa.Field(str_length={"min_value": 1}, description="Human-readable reason naming the file/record and the problem.")
    payload: str = pa.Field(nullable=True, description="A bounded excerpt (≤ 2,000 chars) of the rejected content or row, as JSON/text.")

    class Config:
        strict = True
        coerce = True
