"""envmon: ecological-environment monitoring and supervision platform.

生态环境监测监管平台 — receives HJ 212 data from automatic stations and polluters, keeps
every raw packet as evidence, quality-controls the data, computes indices, raises alarms and
records every datum and decision in a tamper-evident log.

Importing the package has no side effects; subpackages are imported where they are used.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
