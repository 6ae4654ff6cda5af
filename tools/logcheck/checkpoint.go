package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tree is a checkpoint the log signed: its tree size and root hash.
type tree struct {
	origin string
	size   int64
	root   tlog.Hash
}

// witnessKeys collects repeated --witness flags.
type witnessKeys []string

func (w *witnessKeys) String() string     { return fmt.Sprint(*w) }
func (w *witnessKeys) Set(v string) error { *w = append(*w, v); return nil }

// openCheckpoint verifies the log's signature (and each witness's cosignature, all required)
// on the checkpoint note in file, whose origin must be the log key's name.
func openCheckpoint(vkey, file string, witnesses []string) (tree, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return tree{}, err
	}
	return openCheckpointData(vkey, file, data, witnesses)
}

// openCheckpointData is openCheckpoint on the note's bytes; name says where they came from.
func openCheckpointData(vkey, name string, data []byte, witnesses []string) (tree, error) {
	logKey, err := note.NewVerifier(vkey)
	if err != nil {
		return tree{}, usagef("--key %q is not an Ed25519 verifier key: %v", vkey, err)
	}
	var others []note.Verifier
	for _, w := range witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(w)
		if err != nil {
			return tree{}, usagef("--witness %q is not a cosignature verifier key: %v", w, err)
		}
		others = append(others, v)
	}
	cp, rest, n, err := log.ParseCheckpoint(data, logKey.Name(), logKey, others...)
	if err != nil {
		return tree{}, fmt.Errorf("%s: %v", name, err)
	}
	if len(rest) > 0 {
		return tree{}, fmt.Errorf("%s: unexpected extension lines after the root hash", name)
	}
	// The size line is plain decimal with no leading zeroes (ParseUint alone allows them).
	if sizeLine := strings.SplitN(n.Text, "\n", 3)[1]; sizeLine != strconv.FormatUint(cp.Size, 10) || cp.Size > math.MaxInt64 {
		return tree{}, fmt.Errorf("%s: malformed tree size %q", name, sizeLine)
	}
	if len(cp.Hash) != tlog.HashSize {
		return tree{}, fmt.Errorf("%s: the root hash is not %d bytes", name, tlog.HashSize)
	}
	for _, w := range others {
		if !signedBy(n, w) {
			return tree{}, fmt.Errorf("%s: no valid cosignature by witness %s", name, w.Name())
		}
	}
	t := tree{origin: cp.Origin, size: int64(cp.Size)}
	copy(t.root[:], cp.Hash)
	return t, nil
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

func runCheckpoint(args []string) error {
	flags, key := commandFlags("checkpoint")
	var witnesses witnessKeys
	flags.Var(&witnesses, "witness", "a witness's cosignature/v1 verifier key whose cosignature is required (repeatable)")
	if err := flags.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *key == "" || flags.NArg() != 1 {
		return usagef("give --key and one checkpoint file")
	}
	t, err := openCheckpoint(*key, flags.Arg(0), witnesses)
	if err != nil {
		return err
	}
	fmt.Printf("origin %s\nsize %d\nroot %s\n", t.origin, t.size, t.root)
	return nil
}
