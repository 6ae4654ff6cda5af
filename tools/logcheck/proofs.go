package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/tlog"
)

// inclusionProof is the JSON hotich serves for a leaf's audit path (RFC 6962 §2.1.1 order:
// the leaf's sibling first); hashes are base64.
type inclusionProof struct {
	Index    int64       `json:"index"`
	Size     int64       `json:"size"`
	LeafHash tlog.Hash   `json:"leaf_hash"`
	Hashes   []tlog.Hash `json:"hashes"`
}

// consistencyProof is the JSON hotich serves to show that the tree of size To extends the
// tree of size From (RFC 6962 §2.1.2).
type consistencyProof struct {
	From   int64       `json:"from"`
	To     int64       `json:"to"`
	Hashes []tlog.Hash `json:"hashes"`
}

// readJSON decodes file strictly: unknown fields, trailing data or a missing field fail.
func readJSON(file string, into any, fields ...string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	for _, f := range fields {
		if _, ok := present[f]; !ok {
			return fmt.Errorf("%s: no %q field", file, f)
		}
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(into); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// checkpointAndProof opens the checkpoint a proof is checked against, then reads the proof.
func checkpointAndProof(key, checkpointFile, proofFile string, proof any, fields ...string) (tree, error) {
	t, err := openCheckpoint(key, checkpointFile, nil)
	if err != nil {
		return tree{}, err
	}
	return t, readJSON(proofFile, proof, fields...)
}

func parseHash32(flagName, text string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := hex.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		return h, usagef("%s wants 64 hex digits (32 bytes), not %q", flagName, text)
	}
	copy(h[:], raw)
	return h, nil
}

// leafFlags reads the leaf: the event's hash (the leaf's data) or the RFC 6962 leaf hash.
func leafFlags(eventHex, leafHex string) (tlog.Hash, error) {
	switch {
	case eventHex != "" && leafHex == "":
		event, err := parseHash32("--event-hash", eventHex)
		if err != nil {
			return tlog.Hash{}, err
		}
		return tlog.RecordHash(event[:]), nil // SHA-256(0x00 || event hash)
	case leafHex != "" && eventHex == "":
		return parseHash32("--leaf-hash-hex", leafHex)
	default:
		return tlog.Hash{}, usagef("give exactly one of --event-hash and --leaf-hash-hex")
	}
}

func runInclusion(args []string) error {
	flags, key := commandFlags("inclusion")
	checkpointFile := flags.String("checkpoint", "", "the signed checkpoint")
	index := flags.Int64("index", -1, "the leaf's index")
	eventHex := flags.String("event-hash", "", "the event's hash (hex): the leaf's data")
	leafHex := flags.String("leaf-hash-hex", "", "the RFC 6962 leaf hash (hex), instead of --event-hash")
	proofFile := flags.String("proof", "", "the inclusion proof (JSON)")
	if err := flags.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *key == "" || *checkpointFile == "" || *proofFile == "" || *index < 0 || flags.NArg() != 0 {
		return usagef("give --key, --checkpoint, --index and --proof")
	}
	leaf, err := leafFlags(*eventHex, *leafHex)
	if err != nil {
		return err
	}
	var proof inclusionProof
	t, err := checkpointAndProof(*key, *checkpointFile, *proofFile, &proof, "index", "size", "leaf_hash", "hashes")
	if err != nil {
		return err
	}
	switch {
	case proof.Size != t.size:
		return fmt.Errorf("the proof is for a tree of size %d, the checkpoint's has %d", proof.Size, t.size)
	case proof.Index != *index:
		return fmt.Errorf("the proof is for leaf %d, not %d", proof.Index, *index)
	case proof.LeafHash != leaf:
		return fmt.Errorf("the proof is for leaf hash %s, not %s", proof.LeafHash, leaf)
	case *index >= t.size:
		return fmt.Errorf("leaf %d is not in a tree of size %d", *index, t.size)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof.Hashes), t.size, t.root, *index, leaf); err != nil {
		return fmt.Errorf("leaf %d is not proved in the tree of size %d: %v", *index, t.size, err)
	}
	fmt.Printf("leaf %d (leaf hash %s) is in the tree of size %d, root %s\n", *index, leaf, t.size, t.root)
	return nil
}

func runConsistency(args []string) error {
	flags, key := commandFlags("consistency")
	oldFile := flags.String("old", "", "the older signed checkpoint")
	newFile := flags.String("new", "", "the newer signed checkpoint")
	proofFile := flags.String("proof", "", "the consistency proof (JSON)")
	if err := flags.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *key == "" || *oldFile == "" || *newFile == "" || *proofFile == "" || flags.NArg() != 0 {
		return usagef("give --key, --old, --new and --proof")
	}
	older, err := openCheckpoint(*key, *oldFile, nil)
	if err != nil {
		return err
	}
	var proof consistencyProof
	newer, err := checkpointAndProof(*key, *newFile, *proofFile, &proof, "from", "to", "hashes")
	if err != nil {
		return err
	}
	if proof.From != older.size || proof.To != newer.size {
		return fmt.Errorf("the proof is from size %d to %d, the checkpoints are %d and %d",
			proof.From, proof.To, older.size, newer.size)
	}
	if err := checkConsistency(older, newer, proof.Hashes); err != nil {
		return err
	}
	fmt.Printf("the tree of size %d extends the tree of size %d\n", newer.size, older.size)
	return nil
}

func checkConsistency(older, newer tree, hashes []tlog.Hash) error {
	switch {
	case older.size > newer.size:
		return fmt.Errorf("the old checkpoint (%d) is larger than the new one (%d)", older.size, newer.size)
	case older.size == newer.size:
		if len(hashes) != 0 || older.root != newer.root {
			return fmt.Errorf("two checkpoints of size %d with different roots: the log forked", older.size)
		}
		return nil
	case older.size == 0:
		if len(hashes) != 0 || older.root != tlog.Hash(sha256.Sum256(nil)) {
			return fmt.Errorf("a tree of size 0 has the empty root and an empty proof")
		}
		return nil
	}
	if err := tlog.CheckTree(tlog.TreeProof(hashes), newer.size, newer.root, older.size, older.root); err != nil {
		return fmt.Errorf("the tree of size %d does not extend the tree of size %d: %v", newer.size, older.size, err)
	}
	return nil
}
