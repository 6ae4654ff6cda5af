// Command logcheck independently verifies hotich's transparency log: signed checkpoints
// (C2SP tlog-checkpoint on signed-note), witness cosignatures (C2SP tlog-cosignature/v1),
// inclusion and consistency proofs (RFC 6962) and hash tiles served over HTTP (C2SP
// tlog-tiles). It shares no code with hotich: signatures and proofs are checked by
// golang.org/x/mod/sumdb/note and sumdb/tlog and github.com/transparency-dev/formats.
//
// Usage:
//
//	logcheck checkpoint  --key VKEY [--witness VKEY]... FILE
//	logcheck inclusion   --key VKEY --checkpoint FILE --index I (--event-hash HEX | --leaf-hash-hex HEX) --proof FILE
//	logcheck consistency --key VKEY --old FILE --new FILE --proof FILE
//	logcheck tiles       --key VKEY --url URL [--checkpoint FILE] [--index I --event-hash HEX]
//
// It exits 0 when everything checks, 1 with a message when something does not, 2 on
// wrong usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

// usageError is a mistake in the command line (exit status 2), not a failed check.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// commandFlags is a command's flag set with the flag every command has: --key, the log's
// verifier key.
func commandFlags(name string) (*flag.FlagSet, *string) {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	return flags, flags.String("key", "", "the log's verifier key")
}

const usage = `usage:
  logcheck checkpoint  --key VKEY [--witness VKEY]... FILE
  logcheck inclusion   --key VKEY --checkpoint FILE --index I (--event-hash HEX | --leaf-hash-hex HEX) --proof FILE
  logcheck consistency --key VKEY --old FILE --new FILE --proof FILE
  logcheck tiles       --key VKEY --url URL [--checkpoint FILE] [--index I --event-hash HEX]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"checkpoint":  runCheckpoint,
		"inclusion":   runInclusion,
		"consistency": runConsistency,
		"tiles":       runTiles,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "logcheck: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "logcheck %s: %v\n", os.Args[1], err)
		var wrongUsage usageError
		if errors.As(err, &wrongUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
