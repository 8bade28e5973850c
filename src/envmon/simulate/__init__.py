"""Simulated HJ 212-2017 traffic: realistic stations and outlets, with injected faults.

* :mod:`~envmon.simulate.sources` (pure): seeded value sequences for ambient air stations
  (a replay of real Beijing 2016 hourly data), flue-gas outlets (load dynamics, oxygen
  correction per GB 13271-2014 §5.2) and wastewater outlets (GB 18918-2002 effluent);
* :mod:`~envmon.simulate.faults` (pure): device flags, gaps, exceedances, clock skew,
  resends, split and merged writes, bad CRC, unknown MN and wrong password;
* :mod:`~envmon.simulate.client` (edge, asyncio): data loggers that upload over TCP and
  wait for the platform's 9014 acknowledgement (HJ 212-2017 §8.1).
"""

from envmon.simulate.faults import FaultConfig, parse_faults
from envmon.simulate.sources import PointSpec, Record, generate

__all__ = ["FaultConfig", "PointSpec", "Record", "generate", "parse_faults"]
