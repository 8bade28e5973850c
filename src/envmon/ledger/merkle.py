"""Merkle tree hashes and proofs of RFC 6962 §2.1 / RFC 9162 §2.1, with SHA-256. Pure.

Subtrees are named by :data:`NodeKey` ``(level, index)``: the complete, aligned subtree of
``2**level`` leaves covering leaves ``[index * 2**level, (index + 1) * 2**level)``. Every
``MTH(D[start:end])`` that occurs in the RFC's recursive definitions is computed from the
O(log n) complete subtrees of :func:`range_keys`, fetched through a ``lookup`` callable,
so a store of complete subtrees (a dict, a database table) serves any tree size.

References
----------
RFC 6962, Certificate Transparency, §2.1. RFC 9162, Certificate Transparency Version 2.0,
§2.1.1 (tree head), §2.1.3 (inclusion proofs), §2.1.4 (consistency proofs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeKey",
    "children",
    "consistency_ranges",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "parents_completed_by",
    "proof_hashes",
    "proof_keys",
    "range_hash",
    "range_keys",
    "root_hash",
    "root_keys",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
"""Size in bytes of every hash (SHA-256)."""

EMPTY_ROOT: Final[bytes] = hashlib.sha256(b"").digest()
"""``MTH({})``, the root of the empty tree: SHA-256 of the empty string."""

NodeKey = tuple[int, int]
"""``(level, index)``: the complete subtree of leaves ``[index << level, (index + 1) << level)``."""

Lookup = Callable[[NodeKey], bytes]


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash ``MTH({d}) = SHA-256(0x00 || d)`` of one entry.

    Parameters
    ----------
    data : bytes
        The raw entry.

    Returns
    -------
    bytes
        The 32-byte leaf hash.

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.1.

    Examples
    --------
    >>> leaf_hash(b"").hex()
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'
    """
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)``.

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.1.
    """
    return hashlib.sha256(b"\x01" + left + right).digest()


def parents_completed_by(leaf_index: int) -> list[NodeKey]:
    """Return the subtrees (level >= 1) completed by appending leaf ``leaf_index``.

    The keys are bottom-up, so each one's children are known when it is reached: a store
    that hashes them in this order does amortised O(1) hashes per append.

    References
    ----------
    RFC 6962 §2.1.

    Examples
    --------
    >>> parents_completed_by(7)
    [(1, 3), (2, 1), (3, 0)]
    """
    keys: list[NodeKey] = []
    level, index = 0, leaf_index
    while index & 1:
        level, index = level + 1, index >> 1
        keys.append((level, index))
    return keys


def children(key: NodeKey) -> tuple[NodeKey, NodeKey]:
    """Return the left and right children of the complete subtree ``key`` (level >= 1).

    References
    ----------
    RFC 6962 §2.1.
    """
    level, index = key
    if level < 1:
        msg = f"a leaf has no children: {key}"
        raise ValueError(msg)
    return (level - 1, 2 * index), (level - 1, 2 * index + 1)


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_keys(start: int, end: int) -> list[NodeKey]:
    """Return the complete subtrees, left to right, that ``MTH(D[start:end])`` is made of.

    ``[start, end)`` must be a range that occurs in the RFC's recursion: ``start`` a
    multiple of the smallest power of two >= ``end - start``. Its keys are the binary
    decomposition of ``end - start``, at most ``log2(end - start) + 1`` of them.

    Raises
    ------
    ValueError
        If the range is empty, negative or not aligned.

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.1.

    Examples
    --------
    >>> range_keys(0, 7)
    [(2, 0), (1, 2), (0, 6)]
    """
    n = end - start
    if start < 0 or n < 1 or start % (1 << (n - 1).bit_length()):
        msg = f"[{start}, {end}) is not a subtree range of an RFC 6962 tree"
        raise ValueError(msg)
    keys: list[NodeKey] = []
    while n:
        level = n.bit_length() - 1
        keys.append((level, start >> level))
        start, n = start + (1 << level), n - (1 << level)
    return keys


def range_hash(start: int, end: int, lookup: Lookup) -> bytes:
    """Return ``MTH(D[start:end])``, calling ``lookup`` only for :func:`range_keys`.

    Parameters
    ----------
    start, end : int
        A range accepted by :func:`range_keys`.
    lookup : callable
        Returns the hash of a complete subtree given its :data:`NodeKey`.

    References
    ----------
    RFC 6962 §2.1: ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``.
    """
    hashes = [lookup(key) for key in range_keys(start, end)]
    result = hashes.pop()
    while hashes:
        result = node_hash(hashes.pop(), result)
    return result


def root_keys(size: int) -> list[NodeKey]:
    """Return the complete subtrees the root of a tree of ``size`` leaves is made of.

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.1.
    """
    return range_keys(0, size) if size else []


def root_hash(size: int, lookup: Lookup) -> bytes:
    """Return the root ``MTH(D[0:size])``; :data:`EMPTY_ROOT` for size 0.

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.1.

    Examples
    --------
    >>> tree = MemoryTree([b"", b"\\x00", b"\\x10"])
    >>> root_hash(3, tree.lookup).hex()
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77'
    >>> root_hash(0, tree.lookup) == EMPTY_ROOT
    True
    """
    return range_hash(0, size, lookup) if size else EMPTY_ROOT


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return ``PATH(index, D[size])`` as ``[start, end)`` ranges, nearest sibling first.

    Raises
    ------
    ValueError
        Unless ``0 <= index < size``.

    References
    ----------
    RFC 6962 §2.1.1; RFC 9162 §2.1.3.1.
    """
    if not 0 <= index < size:
        msg = f"leaf index {index} is not in a tree of size {size}"
        raise ValueError(msg)
    path: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            path.append((mid, end))
            end = mid
        else:
            path.append((start, mid))
            start = mid
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Return ``PROOF(first, D[second])`` as ``[start, end)`` ranges, in proof order.

    Raises
    ------
    ValueError
        Unless ``0 < first <= second``; ``first == second`` gives ``[]``.

    References
    ----------
    RFC 6962 §2.1.2 (``SUBPROOF``); RFC 9162 §2.1.4.1.
    """
    if not 0 < first <= second:
        msg = f"no consistency proof from size {first} to size {second}"
        raise ValueError(msg)
    proof: list[tuple[int, int]] = []
    start, end, whole = 0, second, True
    while first != end:
        mid = start + _split(end - start)
        if first <= mid:
            proof.append((mid, end))
            end = mid
        else:
            proof.append((start, mid))
            start, whole = mid, False
    if not whole:
        proof.append((start, end))
    proof.reverse()
    return proof


def proof_keys(ranges: Iterable[tuple[int, int]]) -> list[NodeKey]:
    """Return every complete subtree the proof ``ranges`` need, deduplicated and sorted.

    Fetch these in one query, then call :func:`proof_hashes`.

    References
    ----------
    RFC 6962 §2.1.1-2.1.2; RFC 9162 §2.1.3-2.1.4.
    """
    return sorted({key for start, end in ranges for key in range_keys(start, end)})


def proof_hashes(ranges: Iterable[tuple[int, int]], lookup: Lookup) -> list[bytes]:
    """Return the proof: ``[range_hash(start, end, lookup) for (start, end) in ranges]``.

    References
    ----------
    RFC 6962 §2.1.1-2.1.2; RFC 9162 §2.1.3-2.1.4.
    """
    return [range_hash(start, end, lookup) for start, end in ranges]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _well_formed(
    sizes: tuple[object, ...], hashes: tuple[object, ...], proof: object
) -> bool:
    """Whether sizes are ints >= 0, and hashes and proof elements are 32-byte strings."""
    if not isinstance(proof, Sequence) or isinstance(proof, bytes | bytearray | str):
        return False
    sizes_ok = all(type(size) is int and size >= 0 for size in sizes)
    return sizes_ok and all(_is_hash(value) for value in (*hashes, *proof))


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``root``.

    Follows RFC 9162 §2.1.3.2 step by step. Never raises: malformed input (a hash that is
    not 32 bytes, ``index >= size``, a proof too long or too short) returns ``False``.

    Parameters
    ----------
    leaf : bytes
        The leaf *hash* (:func:`leaf_hash` of the entry), not the entry.
    index, size : int
        The leaf's 0-based index and the size of the tree whose root is ``root``.
    proof : sequence of bytes
        The inclusion path, nearest sibling first.
    root : bytes
        The tree's root hash.

    References
    ----------
    RFC 9162 §2.1.3.2; RFC 6962 §2.1.1.
    """
    if not _well_formed((index, size), (leaf, root), proof) or index >= size:
        return False
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Return whether ``proof`` shows tree ``first_root`` is a prefix of ``second_root``.

    Follows RFC 9162 §2.1.4.2 step by step, for ``0 < first < second``. If ``first ==
    second`` the proof must be empty and the roots equal. ``first == 0`` returns
    ``False``: the empty tree is a prefix of every tree, but no proof is defined for it,
    so callers must treat that case themselves. Never raises: malformed input returns
    ``False``.

    References
    ----------
    RFC 9162 §2.1.4.2; RFC 6962 §2.1.2.
    """
    well_formed = _well_formed((first, second), (first_root, second_root), proof)
    if not well_formed or not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = bytes(path[0])
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class MemoryTree:
    """A whole tree in memory, storing every complete subtree hash as it completes.

    Parameters
    ----------
    leaves : iterable of bytes, optional
        Raw entries to append (:func:`leaf_hash` is applied to each).

    References
    ----------
    RFC 6962 §2.1; RFC 9162 §2.1.

    Examples
    --------
    >>> tree = MemoryTree([b"a", b"b", b"c"])
    >>> tree.append(b"d")
    3
    >>> proof = tree.inclusion_proof(2)
    >>> verify_inclusion(leaf_hash(b"c"), 2, tree.size, proof, tree.root())
    True
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        # _levels[level][index] is the hash of NodeKey (level, index): append-only lists.
        self._levels: list[list[bytes]] = [[]]
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, data: bytes) -> int:
        """Append the raw entry ``data``, hash the subtrees it completes; return its index."""
        index = self.size
        self._levels[0].append(leaf_hash(data))
        for level, position in parents_completed_by(index):
            if level == len(self._levels):
                self._levels.append([])
            below = self._levels[level - 1]
            self._levels[level].append(
                node_hash(below[2 * position], below[2 * position + 1])
            )
        return index

    def lookup(self, key: NodeKey) -> bytes:
        """Return the hash of complete subtree ``key``; ``KeyError`` if it is not complete."""
        level, index = key
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError(key)

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            msg = f"tree size {size} is not between 0 and {self.size}"
            raise ValueError(msg)
        return size

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first ``size`` leaves (default: all)."""
        return root_hash(self._size(size), self.lookup)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return proof_hashes(inclusion_ranges(index, self._size(size)), self.lookup)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return the consistency proof from the tree of ``first`` leaves to ``second``."""
        return proof_hashes(consistency_ranges(first, self._size(second)), self.lookup)
