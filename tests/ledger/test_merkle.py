"""Tests of envmon.ledger.merkle: RFC 6962 §2.1 / RFC 9162 §2.1 Merkle trees.

Known answers are the Certificate Transparency reference vectors (transparency-dev/merkle
``testonly/constants.go`` and ``proof/verify_test.go``, the successors of
certificate-transparency-go's ``merkle`` tests). Everything is also checked against a naive
implementation written here from the RFC's recursive definitions, verbatim.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from envmon.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryTree,
    NodeKey,
    children,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    parents_completed_by,
    proof_hashes,
    proof_keys,
    range_hash,
    range_keys,
    root_hash,
    root_keys,
    verify_consistency,
    verify_inclusion,
)

# --- The RFC, verbatim ---------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH(D[n])."""
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + d[0])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def naive_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n])."""
    return subproof(m, d, True)


# --- Fixtures ------------------------------------------------------------------------------

CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# testonly.NodeHashes(): every complete subtree of the 8-leaf tree, by (level, index).
CT_NODES: dict[NodeKey, str] = {
    (0, 0): "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    (0, 1): "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    (0, 2): "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    (0, 3): "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 5): "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (0, 7): "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    (1, 0): "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    (1, 1): "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (1, 3): "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    (2, 0): "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    (2, 1): "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    (3, 0): "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# proof/verify_test.go inclusionProofs (there 1-based leaf numbers; here 0-based indexes).
CT_INCLUSION = [
    (0, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (5, 8, ["bc1a0643", "ca854ea1", "d37ee418"]),
    (2, 3, ["fac54203"]),
    (1, 5, ["6e340b9c", "5f083f0a", "bc1a0643"]),
    (0, 1, []),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (6, 8, ["0ebc5d34", "ca854ea1", "d37ee418"]),
    (2, 5, ["5f083f0a", "bc1a0643"]),
    (6, 7, ["0ebc5d34", "b08693ec", "d37ee418"]),
]
# Prefixes above are unambiguous among the 15 node hashes; expand them to full hashes.
_BY_PREFIX = {value[:8]: bytes.fromhex(value) for value in CT_NODES.values()}

BIG = 4200  # leaves of the shared tree: every size up to 2**12 + 3 is a prefix of it
BIG_LEAVES = [i.to_bytes(4, "big") for i in range(BIG)]
BIG_TREE = MemoryTree(BIG_LEAVES)
CT_TREE = MemoryTree(CT_LEAVES)

sizes = st.integers(1, 300) | st.sampled_from(
    [s for e in range(1, 13) for s in range(2**e - 3, 2**e + 4) if s > 0]
)


@cache
def naive_range(start: int, end: int) -> bytes:
    """MTH(BIG_LEAVES[start:end]): the RFC 6962 §2.1 recursion, memoised on ranges."""
    n = end - start
    if n == 1:
        return sha256(b"\x00" + BIG_LEAVES[start])
    k = largest_power_of_two_below(n)
    return sha256(b"\x01" + naive_range(start, start + k) + naive_range(start + k, end))


def recursion_ranges(size: int) -> list[tuple[int, int]]:
    """Every [start, end) that RFC 6962's recursion visits for MTH(D[size])."""
    out, todo = [], [(0, size)]
    while todo:
        start, end = todo.pop()
        out.append((start, end))
        if end - start > 1:
            mid = start + largest_power_of_two_below(end - start)
            todo += [(start, mid), (mid, end)]
    return out


def flip(data: bytes, bit: int) -> bytes:
    buf = bytearray(data)
    buf[bit // 8] ^= 1 << (bit % 8)
    return bytes(buf)


def counting(
    lookup: Callable[[NodeKey], bytes], calls: list[NodeKey]
) -> Callable[[NodeKey], bytes]:
    def wrapped(key: NodeKey) -> bytes:
        calls.append(key)
        return lookup(key)

    return wrapped


# --- Known answers -------------------------------------------------------------------------


def test_constants() -> None:
    assert HASH_SIZE == 32
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert mth([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_ct_roots(size: int) -> None:
    tree = MemoryTree(CT_LEAVES[:size])
    assert mth(CT_LEAVES[:size]).hex() == CT_ROOTS[size], "naive MTH disagrees with CT"
    assert tree.root().hex() == CT_ROOTS[size]
    assert CT_TREE.root(size).hex() == CT_ROOTS[size]
    assert root_hash(size, CT_TREE.lookup).hex() == CT_ROOTS[size]


@pytest.mark.parametrize("key", sorted(CT_NODES))
def test_ct_node_hashes(key: NodeKey) -> None:
    level, index = key
    assert CT_TREE.lookup(key).hex() == CT_NODES[key]
    assert mth(CT_LEAVES[index << level : (index + 1) << level]).hex() == CT_NODES[key]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_ct_inclusion_proofs(index: int, size: int, expected: list[str]) -> None:
    proof = [_BY_PREFIX[prefix] for prefix in expected]
    assert path(index, CT_LEAVES[:size]) == proof
    assert CT_TREE.inclusion_proof(index, size) == proof
    root = bytes.fromhex(CT_ROOTS[size])
    leaf = leaf_hash(CT_LEAVES[index])
    assert verify_inclusion(leaf, index, size, proof, root)
    # The corruptions of verify_test.go's corruptInclusionProof.
    some = bytes.fromhex("abacaba0" + "0" * 48 + "123456")
    for wrong_index in (index - 1, index + 1, index ^ 2):
        assert not verify_inclusion(leaf, wrong_index, size, proof, root)
    for wrong_size in (size * 2, size // 2):
        assert not verify_inclusion(leaf, index, wrong_size, proof, root)
    assert not verify_inclusion(b"WrongLeaf", index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, EMPTY_ROOT)
    assert not verify_inclusion(leaf, index, size, proof, some)
    for extra in (b"", root):
        assert not verify_inclusion(leaf, index, size, [*proof, extra], root)
        assert not verify_inclusion(leaf, index, size, [extra, *proof], root)
    if proof:
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
        assert not verify_inclusion(
            leaf, index, size, [*proof[:1], some, *proof[1:]], root
        )


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_ct_consistency_proofs(first: int, second: int, expected: list[str]) -> None:
    proof = [_BY_PREFIX[prefix] for prefix in expected]
    if first < second:
        assert naive_proof(first, CT_LEAVES[:second]) == proof
    assert CT_TREE.consistency_proof(first, second) == proof
    root1, root2 = bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second])
    assert verify_consistency(first, second, root1, root2, proof)
    if not proof:
        return
    # The corruptions of verify_test.go's corruptConsistencyProof.
    for size1, size2 in ((first - 1, second), (first + 1, second), (first ^ 2, second)):
        assert not verify_consistency(size1, size2, root1, root2, proof)
    for size2 in (second * 2, second // 2):
        assert not verify_consistency(first, size2, root1, root2, proof)
    assert not verify_consistency(first, second, b"WrongRoot", root2, proof)
    assert not verify_consistency(first, second, root1, b"WrongRoot", proof)
    assert not verify_consistency(first, second, root2, root1, proof)
    assert not verify_consistency(first, second, root1, root2, [])
    for extra in (b"", root1, root2):
        assert not verify_consistency(first, second, root1, root2, [*proof, extra])
        assert not verify_consistency(first, second, root1, root2, [extra, *proof])
    assert not verify_consistency(first, second, root1, root2, [proof[0], *proof])
    assert not verify_consistency(first, second, root1, root2, proof[:-1])


def test_consistency_edge_cases() -> None:
    r1, r2 = bytes.fromhex(CT_ROOTS[1]), bytes.fromhex(CT_ROOTS[2])
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(2, 1, r2, r1, [])
    # first == 0 is documented to return False (no proof is defined for it).
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [])


def test_single_entry_inclusion() -> None:
    hash_ = leaf_hash(b"data")
    assert verify_inclusion(hash_, 0, 1, [], hash_)
    assert not verify_inclusion(hash_, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], hash_)
    for index, size in ((0, 0), (1, 0), (2, 1), (1, 1)):
        assert not verify_inclusion(hash_, index, size, [], EMPTY_ROOT)


# --- RFC 6962 §2.1.3 worked examples, as tree shapes ---------------------------------------

# The 7-leaf tree of the RFC's figures: a-f are leaves d0-d5, j is leaf d6 (MTH({d6})).
RFC_NAMES = {
    (0, 1): "a", (1, 2): "b", (2, 3): "c", (3, 4): "d", (4, 5): "e", (5, 6): "f",
    (0, 2): "g", (2, 4): "h", (4, 6): "i", (6, 7): "j", (0, 4): "k", (4, 7): "l",
}  # fmt: skip


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [(0, "bhl"), (3, "cgl"), (4, "fjk"), (6, "ik")],
)
def test_rfc_audit_paths(leaf: int, expected: str) -> None:
    assert "".join(RFC_NAMES[r] for r in inclusion_ranges(leaf, 7)) == expected
    by_name = {name: r for r, name in RFC_NAMES.items()}
    named = [naive_range(*by_name[name]) for name in expected]
    assert BIG_TREE.inclusion_proof(leaf, 7) == named == path(leaf, BIG_LEAVES[:7])


@pytest.mark.parametrize(("first", "expected"), [(3, "cdgl"), (4, "l"), (6, "ijk")])
def test_rfc_consistency_proofs(first: int, expected: str) -> None:
    assert "".join(RFC_NAMES[r] for r in consistency_ranges(first, 7)) == expected
    assert BIG_TREE.consistency_proof(first, 7) == naive_proof(first, BIG_LEAVES[:7])


# --- Structure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [(0, []), (1, [(1, 0)]), (3, [(1, 1), (2, 0)]), (5, [(1, 2)]),
     (7, [(1, 3), (2, 1), (3, 0)]), (6, [])],
)  # fmt: skip
def test_parents_completed_by(leaf: int, expected: list[NodeKey]) -> None:
    assert parents_completed_by(leaf) == expected


def test_parents_completed_by_covers_every_subtree_once() -> None:
    seen = [key for i in range(1024) for key in parents_completed_by(i)]
    expected = [(lvl, i) for lvl in range(1, 11) for i in range(1024 >> lvl)]
    assert sorted(seen) == sorted(expected)


def test_children() -> None:
    assert children((1, 0)) == ((0, 0), (0, 1))
    assert children((3, 5)) == ((2, 10), (2, 11))
    with pytest.raises(ValueError, match="leaf"):
        children((0, 3))


def test_range_keys_examples_and_errors() -> None:
    assert range_keys(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_keys(4, 7) == [(1, 2), (0, 6)]
    assert range_keys(8, 16) == [(3, 1)]
    assert root_keys(0) == []
    assert root_keys(1) == [(0, 0)]
    for start, end in ((0, 0), (3, 3), (5, 4), (-1, 0), (1, 3), (2, 5), (4, 9)):
        with pytest.raises(ValueError, match="range"):
            range_keys(start, end)


def test_proof_range_errors() -> None:
    for index, size in ((0, 0), (-1, 3), (3, 3)):
        with pytest.raises(ValueError, match="not in a tree"):
            inclusion_ranges(index, size)
    for first, second in ((0, 3), (4, 3), (-1, 2)):
        with pytest.raises(ValueError, match="no consistency proof"):
            consistency_ranges(first, second)
    assert consistency_ranges(5, 5) == []


def test_memory_tree_api() -> None:
    tree = MemoryTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT
    assert [tree.append(x) for x in CT_LEAVES[:3]] == [0, 1, 2]
    assert tree.size == 3
    assert tree.lookup((1, 0)) == bytes.fromhex(CT_NODES[(1, 0)])
    for missing in ((1, 1), (0, 3), (2, 0), (0, -1), (-1, 0), (9, 0)):
        with pytest.raises(KeyError):
            tree.lookup(missing)
    with pytest.raises(ValueError, match="tree size"):
        tree.root(4)
    with pytest.raises(ValueError, match="tree size"):
        tree.inclusion_proof(0, 4)
    with pytest.raises(ValueError, match="not in a tree"):
        tree.inclusion_proof(3)
    assert tree.consistency_proof(2) == [bytes.fromhex(CT_NODES[(0, 2)])]


def test_memory_tree_append_is_amortised_constant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    original = hashlib.sha256

    def spy(data: bytes = b"") -> object:
        nonlocal calls
        calls += 1
        return original(data)

    tree = MemoryTree()
    with monkeypatch.context() as patch:
        patch.setattr(hashlib, "sha256", spy)
        for i in range(1024):
            tree.append(i.to_bytes(2, "big"))
    assert calls == 2 * 1024 - 1  # 1024 leaf hashes + 1023 interior nodes
    assert tree.root() == mth([i.to_bytes(2, "big") for i in range(1024)])


# --- Properties ----------------------------------------------------------------------------


@given(sizes)
@settings(max_examples=40, deadline=None)
def test_memory_tree_roots_equal_naive(size: int) -> None:
    tree = MemoryTree()
    for i in range(size):
        tree.append(BIG_LEAVES[i])
        assert tree.root() == naive_range(0, i + 1)
    assert tree.root() == BIG_TREE.root(size) == mth(BIG_LEAVES[:size])


@given(sizes)
@settings(max_examples=60, deadline=None)
def test_every_inclusion_proof_verifies(size: int) -> None:
    root = BIG_TREE.root(size)
    other_root = BIG_TREE.root(size + 1)
    for index in range(size):
        proof = BIG_TREE.inclusion_proof(index, size)
        leaf = leaf_hash(BIG_LEAVES[index])
        assert verify_inclusion(leaf, index, size, proof, root)
        assert not verify_inclusion(leaf, index, size + 1, proof, other_root)
        assert not verify_inclusion(leaf, index, size, proof, flip(root, index % 256))


@given(sizes)
@settings(max_examples=60, deadline=None)
def test_every_consistency_proof_verifies(size: int) -> None:
    second = BIG_TREE.root(size)
    for first in range(1, size + 1):
        proof = BIG_TREE.consistency_proof(first, size)
        root1 = BIG_TREE.root(first)
        assert verify_consistency(first, size, root1, second, proof)
        assert not verify_consistency(
            first, size, root1, flip(second, first % 256), proof
        )
        assert not verify_consistency(
            first, size, flip(root1, first % 256), second, proof
        )
        if first < size:
            assert not verify_consistency(
                first, size + 1, root1, BIG_TREE.root(size + 1), proof
            )


@given(st.data())
def test_proofs_equal_naive_rfc_definitions(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 130))
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    d = BIG_LEAVES[:size]
    assert BIG_TREE.inclusion_proof(index, size) == path(index, d)
    assert BIG_TREE.consistency_proof(first, size) == (
        naive_proof(first, d) if first < size else []
    )


@given(st.data())
def test_any_flipped_bit_or_wrong_index_fails_inclusion(data: st.DataObject) -> None:
    size = data.draw(sizes)
    index = data.draw(st.integers(0, size - 1))
    proof, root = BIG_TREE.inclusion_proof(index, size), BIG_TREE.root(size)
    leaf = leaf_hash(BIG_LEAVES[index])
    wrong = data.draw(st.integers(0, size + 3).filter(lambda i: i != index))
    assert not verify_inclusion(leaf, wrong, size, proof, root)
    assume(proof)
    element = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1))
    proof[element] = flip(proof[element], bit)
    assert not verify_inclusion(leaf, index, size, proof, root)


@given(st.data())
def test_any_flipped_bit_fails_consistency(data: st.DataObject) -> None:
    size = data.draw(sizes.filter(lambda s: s > 1))
    first = data.draw(st.integers(1, size - 1))
    proof = BIG_TREE.consistency_proof(first, size)
    root1, root2 = BIG_TREE.root(first), BIG_TREE.root(size)
    element = data.draw(st.integers(0, len(proof) - 1))
    proof[element] = flip(proof[element], data.draw(st.integers(0, 8 * HASH_SIZE - 1)))
    assert not verify_consistency(first, size, root1, root2, proof)
    wrong = data.draw(st.integers(1, size).filter(lambda m: m != first))
    assert not verify_consistency(
        wrong, size, root1, root2, BIG_TREE.consistency_proof(first, size)
    )


@given(sizes, st.data())
def test_range_hash_equals_naive_and_uses_only_range_keys(
    size: int, data: st.DataObject
) -> None:
    start, end = data.draw(st.sampled_from(recursion_ranges(size)))
    calls: list[NodeKey] = []
    assert range_hash(start, end, counting(BIG_TREE.lookup, calls)) == naive_range(
        start, end
    )
    keys = range_keys(start, end)
    assert calls == keys
    assert len(keys) <= 2 * math.log2(end - start) + 2


@given(sizes, st.data())
def test_proof_keys_are_logarithmic_and_sufficient(
    size: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    bound = 2 * math.log2(size) + 2
    for ranges in (inclusion_ranges(index, size), consistency_ranges(first, size)):
        keys = proof_keys(ranges)
        assert keys == sorted(set(keys))
        assert len(keys) <= 2 * bound
        store = {key: BIG_TREE.lookup(key) for key in keys}  # the "one query"
        assert proof_hashes(ranges, store.__getitem__) == proof_hashes(
            ranges, BIG_TREE.lookup
        )
    assert len(root_keys(size)) <= bound


def test_million_leaf_proof_keys_are_few() -> None:
    size = 1_000_000
    for index in (0, 1, 499_999, 999_998, 999_999):
        assert len(proof_keys(inclusion_ranges(index, size))) <= 40
    for first in (1, 3, 524_288, 999_999):
        assert len(proof_keys(consistency_ranges(first, size))) <= 60


# --- Garbage in, False out -----------------------------------------------------------------

junk = st.one_of(
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32),
    st.integers(),
    st.none(),
    st.text(max_size=4),
    st.booleans(),
)
ints = st.one_of(
    st.integers(-5, 2**70), st.booleans(), st.none(), st.floats(), st.text(max_size=2)
)
proofs = st.one_of(
    st.lists(st.binary(min_size=32, max_size=32), max_size=70),
    st.lists(junk, max_size=5),
    junk,
)


@given(junk, ints, ints, proofs, junk)
def test_verify_inclusion_never_raises(
    leaf: object, index: object, size: object, proof: object, root: object
) -> None:
    result = verify_inclusion(leaf, index, size, proof, root)  # type: ignore[arg-type]
    assert result is False or (result is True and proof == [] and leaf == root)


@given(ints, ints, junk, junk, proofs)
def test_verify_consistency_never_raises(
    first: object, second: object, root1: object, root2: object, proof: object
) -> None:
    result = verify_consistency(first, second, root1, root2, proof)  # type: ignore[arg-type]
    assert result is False or (result is True and proof == [] and root1 == root2)


@given(
    st.integers(0, 2**64),
    st.integers(0, 2**64),
    st.lists(st.binary(min_size=32, max_size=32), max_size=70),
)
def test_verify_random_hashes_are_rejected(a: int, b: int, proof: list[bytes]) -> None:
    leaf, root = node_hash(b"x", b"y"), node_hash(b"y", b"x")
    assert not verify_inclusion(leaf, a, b, proof, root)
    assert not verify_consistency(a, b, leaf, root, proof)


@pytest.mark.parametrize("size", [2**12 - 3, 2**12 - 1, 2**12, 2**12 + 1, 2**12 + 3])
def test_all_proofs_around_4096(size: int) -> None:
    root = BIG_TREE.root(size)
    assert root == naive_range(0, size)
    for index in range(size):
        proof = BIG_TREE.inclusion_proof(index, size)
        assert verify_inclusion(leaf_hash(BIG_LEAVES[index]), index, size, proof, root)
    for first in range(1, size + 1):
        proof = BIG_TREE.consistency_proof(first, size)
        assert verify_consistency(first, size, BIG_TREE.root(first), root, proof)
