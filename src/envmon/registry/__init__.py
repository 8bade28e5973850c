"""Registry (监测网络与档案): the monitoring network every other part refers to.

Administrative regions (GB/T 2260 codes, township 9 digits) as a tree; stations of every
element; enterprises identified by their unified social credit code (GB 32100-2015 check
character); outlets with HJ 212 MN, reference O₂ and permit limits over time; devices with
calibration and verification records; the HJ 212-2017 parameter catalogue with HJ/T
212-2005 aliases. Records are never deleted: each change is kept in ``registry_changes``.
"""

from envmon.registry.credit_code import check_character, is_valid_credit_code
from envmon.registry.scope import Scope

__all__ = ["Scope", "check_character", "is_valid_credit_code"]
