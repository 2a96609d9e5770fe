"""The warehouse folder: layout, stage I/O, batch registry, run lock, publish journal, object-store mirror, and the
InputFolder/Warehouse resources that front them (pipelines/warehouse/resources.py)."""
from pipelines.warehouse.resources import InputFolder, Warehouse

__all__ = ["InputFolder", "Warehouse"]
