package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8 // C2SP tlog-tiles: 256 hashes a tile

// httpTiles reads C2SP tlog-tiles hash tiles (tile/<L>/<N>[.p/<W>]) under a URL prefix.
type httpTiles struct {
	prefix string
	client *http.Client
}

func (r httpTiles) Height() int { return tileHeight }

func (r httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func (r httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		body, err := r.get(tilePath(t))
		if err != nil {
			return nil, err
		}
		if len(body) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, not %d hashes", tilePath(t), len(body), t.W)
		}
		data[i] = body
	}
	return data, nil
}

func (r httpTiles) get(path string) ([]byte, error) {
	response, err := r.client.Get(r.prefix + path)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s%s: %s", r.prefix, path, response.Status)
	}
	return io.ReadAll(io.LimitReader(response.Body, 1<<20))
}

// tilePath is the tlog-tiles path: sumdb's Tile.Path also names the height, these do not.
func tilePath(t tlog.Tile) string {
	n := fmt.Sprintf("%03d", t.N%1000)
	for rest := t.N / 1000; rest > 0; rest /= 1000 {
		n = fmt.Sprintf("x%03d/%s", rest%1000, n)
	}
	path := fmt.Sprintf("tile/%d/%s", t.L, n)
	if t.W < 1<<tileHeight {
		path += fmt.Sprintf(".p/%d", t.W)
	}
	return path
}

func runTiles(args []string) error {
	flags, key := commandFlags("tiles")
	url := flags.String("url", "", "the log's URL prefix (tiles at <url>/tile/..., checkpoint at <url>/checkpoint)")
	checkpointFile := flags.String("checkpoint", "", "a signed checkpoint file, instead of <url>/checkpoint")
	index := flags.Int64("index", -1, "also prove this leaf from the tiles")
	eventHex := flags.String("event-hash", "", "with --index: the event's hash (hex)")
	if err := flags.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *key == "" || *url == "" || flags.NArg() != 0 || (*index >= 0) != (*eventHex != "") {
		return usagef("give --key and --url (and --index with --event-hash, or neither)")
	}
	tiles := httpTiles{prefix: strings.TrimSuffix(*url, "/") + "/", client: &http.Client{Timeout: 30 * time.Second}}
	var t tree
	var err error
	if *checkpointFile != "" {
		t, err = openCheckpoint(*key, *checkpointFile, nil)
	} else {
		var body []byte
		if body, err = tiles.get("checkpoint"); err == nil {
			t, err = openCheckpointData(*key, tiles.prefix+"checkpoint", body, nil)
		}
	}
	if err != nil {
		return err
	}
	hashes := tlog.TileHashReader(tlog.Tree{N: t.size, Hash: t.root}, tiles)
	root, err := tlog.TreeHash(t.size, hashes)
	if err != nil {
		return fmt.Errorf("the tiles do not make the checkpoint's tree: %v", err)
	}
	if root != t.root {
		return fmt.Errorf("the tiles make root %s, the checkpoint says %s", root, t.root)
	}
	fmt.Printf("the tiles make the checkpoint's tree: size %d, root %s\n", t.size, t.root)
	if *index < 0 {
		return nil
	}
	leaf, err := leafFlags(*eventHex, "")
	if err != nil {
		return err
	}
	if *index >= t.size {
		return fmt.Errorf("leaf %d is not in a tree of size %d", *index, t.size)
	}
	proof, err := tlog.ProveRecord(t.size, *index, hashes)
	if err != nil {
		return fmt.Errorf("no proof of leaf %d from the tiles: %v", *index, err)
	}
	if err := tlog.CheckRecord(proof, t.size, t.root, *index, leaf); err != nil {
		return fmt.Errorf("leaf %d is not that event in the tiles' tree: %v", *index, err)
	}
	fmt.Printf("leaf %d is that event\n", *index)
	return nil
}
