"""Ingest: raw evidence and quarantine.

Every received file is kept byte-for-byte (``raw_files``, append-only) before anything is
derived from it; input that cannot be accepted is quarantined with its reason
(``quarantine``, append-only) and stays visible through the API. The HJ 212 gateway and
file imports of measurements build on this.
"""

from envmon.ingest.models import QuarantineEntry, RawFile

__all__ = ["QuarantineEntry", "RawFile"]
