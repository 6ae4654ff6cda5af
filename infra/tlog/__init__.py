"""A transparency log over the stored events (RFC 6962/9162 Merkle tree, C2SP formats).

Every stored event is a leaf, in notification-log order; a leaf's data is the 32 raw bytes of
the event's hash. The tree's hashes are kept in the event store's database as C2SP tlog-tiles
(``tree_store``), appended by one writer (``sequencer``, or inside the transaction that stores
the events); signed checkpoints (``note``, ``checkpoint``, ``checkpoint_store``) and witness
cosignatures (``cosignature``) commit to its root.
"""
