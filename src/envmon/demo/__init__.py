"""The demo city: Beijing's 16 districts and 12 real national-control air stations with a
year of their real hourly data (UCI Beijing Multi-Site Air-Quality Data, CC BY 4.0), plus
about 30 fictional enterprises with outlets, permit limits and devices.

The data ship inside the package (``demo/data``, see ``ATTRIBUTION.md``) so the demo works
offline; ``scripts/build_demo_data.py`` rebuilds them from the original files.
"""

from envmon.demo.build import DEMO_USERS, DemoSummary, build_demo

__all__ = ["DEMO_USERS", "DemoSummary", "build_demo"]
