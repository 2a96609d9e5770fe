"""Ingest: input folder -> document records + rejected inputs (each with a named rule)."""
from pipelines.core.ingest.decode import DecodeRejected, decode_bytes
from pipelines.core.ingest.readers import DEFAULT_MAX_BYTES, SUPPORTED, Document, Rejected, read_file, scan_folder

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED", "DecodeRejected", "Document", "Rejected", "decode_bytes", "read_file", "scan_folder"]
