// etcd-load: the benchmark harness's load generator for etcd, on etcd's own gRPC KV API (the
// generated KVClient stubs over one grpc.ClientConn per client), so etcd is measured through the
// API its users call rather than through the JSON gateway.
//
// Closed loop, like the harness's RESP load generator (bench/load-worker.ts): each client keeps
// one request in flight for the run's duration; a request is a put of a 256-byte value or a
// range (linearizable, or serializable with -serializable) of one key drawn uniformly from
// key:000000…key:099999. The process talks to the harness over stdio, one JSON object a line:
//
//	stdout {"ready":true}    every client is connected
//	stdin  any line          start the run (the harness reads the processes' CPU time first)
//	stdout {"ops":…}         the run's result
//	stdin  end of file       close the connections and exit
//
// Built by the harness (bench/etcd-load.ts) with Debian's golang-go against golang-etcd-server-dev,
// in GOPATH mode, offline.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"sort"
	"sync"
	"time"

	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
	"google.golang.org/grpc"
)

const (
	// A failing client waits this long before its next request, so errors cannot spin the CPU.
	errorBackoff = 10 * time.Millisecond
	dialTimeout  = 10 * time.Second
	// No single request may take longer; a stuck one counts as an error.
	requestTimeout = 30 * time.Second
)

type options struct {
	endpoint     string
	clients      int
	duration     time.Duration
	readFraction float64
	serializable bool
	keys         int
	valueBytes   int
}

type clientResult struct {
	latenciesUs []int64
	perSecond   []int64
	errors      int64
	firstError  string
}

type runResult struct {
	Ready        bool    `json:"ready,omitempty"`
	Ops          int64   `json:"ops"`
	Errors       int64   `json:"errors"`
	Seconds      float64 `json:"seconds"`
	OpsPerSecond float64 `json:"opsPerSecond"`
	P50Ms        float64 `json:"p50Ms"`
	P95Ms        float64 `json:"p95Ms"`
	P99Ms        float64 `json:"p99Ms"`
	PerSecond    []int64 `json:"perSecond"`
	FirstError   *string `json:"firstError"`
}

func parseOptions() options {
	var o options
	var durationMs int
	flag.StringVar(&o.endpoint, "endpoint", "127.0.0.1:2379", "host:port of the etcd member to load")
	flag.IntVar(&o.clients, "clients", 1, "concurrent clients, one connection and one request in flight each")
	flag.IntVar(&durationMs, "duration-ms", 10000, "length of the run")
	flag.Float64Var(&o.readFraction, "read-fraction", 0, "share of requests that are ranges, 0…1")
	flag.BoolVar(&o.serializable, "serializable", false, "serializable ranges (served by the member locally) instead of linearizable ones")
	flag.IntVar(&o.keys, "keys", 100000, "keys drawn from, uniformly")
	flag.IntVar(&o.valueBytes, "value-bytes", 256, "bytes per put value")
	flag.Parse()
	o.duration = time.Duration(durationMs) * time.Millisecond
	if o.clients < 1 || o.keys < 1 || o.valueBytes < 0 || durationMs < 1 || o.readFraction < 0 || o.readFraction > 1 {
		fail("invalid options: -clients, -keys and -duration-ms must be positive, -read-fraction within 0…1")
	}
	return o
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "etcd-load:", message)
	os.Exit(1)
}

func emit(value interface{}) {
	line, err := json.Marshal(value)
	if err != nil {
		fail(err.Error())
	}
	os.Stdout.Write(append(line, '\n'))
}

func dial(o options) []*grpc.ClientConn {
	conns := make([]*grpc.ClientConn, o.clients)
	for i := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		conn, err := grpc.DialContext(ctx, o.endpoint, grpc.WithInsecure(), grpc.WithBlock())
		cancel()
		if err != nil {
			fail(fmt.Sprintf("connect to %s: %v", o.endpoint, err))
		}
		conns[i] = conn
	}
	return conns
}

func main() {
	o := parseOptions()
	keys := make([][]byte, o.keys)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%06d", i))
	}
	value := make([]byte, o.valueBytes)
	for i := range value {
		value[i] = byte('a' + rand.Intn(26))
	}
	conns := dial(o)
	emit(runResult{Ready: true})
	stdin := bufio.NewReader(os.Stdin)
	if _, err := stdin.ReadString('\n'); err != nil {
		fail("no start line on stdin")
	}
	emit(run(o, conns, keys, value))
	// The harness reads this process's CPU time after the result, then closes stdin.
	io.Copy(io.Discard, stdin)
	for _, conn := range conns {
		conn.Close()
	}
}

func run(o options, conns []*grpc.ClientConn, keys [][]byte, value []byte) runResult {
	start := time.Now()
	deadline := start.Add(o.duration)
	results := make([]clientResult, len(conns))
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Add(1)
		go func(i int, kv pb.KVClient) {
			defer wg.Done()
			results[i] = loop(o, kv, keys, value, start, deadline, rand.New(rand.NewSource(time.Now().UnixNano()+int64(i))))
		}(i, pb.NewKVClient(conn))
	}
	wg.Wait()
	return summarize(results, time.Since(start).Seconds())
}

// loop is one client: requests one after another until the deadline.
func loop(o options, kv pb.KVClient, keys [][]byte, value []byte, start, deadline time.Time, random *rand.Rand) clientResult {
	var r clientResult
	for {
		sent := time.Now()
		if !sent.Before(deadline) {
			return r
		}
		key := keys[random.Intn(len(keys))]
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		var err error
		if random.Float64() < o.readFraction {
			_, err = kv.Range(ctx, &pb.RangeRequest{Key: key, Serializable: o.serializable})
		} else {
			_, err = kv.Put(ctx, &pb.PutRequest{Key: key, Value: value})
		}
		cancel()
		now := time.Now()
		if err != nil {
			r.errors++
			if r.firstError == "" {
				r.firstError = err.Error()
			}
			time.Sleep(errorBackoff)
			continue
		}
		r.latenciesUs = append(r.latenciesUs, now.Sub(sent).Microseconds())
		second := int(now.Sub(start) / time.Second)
		for len(r.perSecond) <= second {
			r.perSecond = append(r.perSecond, 0)
		}
		r.perSecond[second]++
	}
}

func summarize(results []clientResult, seconds float64) runResult {
	var all []int64
	var perSecond []int64
	out := runResult{Seconds: seconds, PerSecond: []int64{}}
	for _, r := range results {
		all = append(all, r.latenciesUs...)
		for s, n := range r.perSecond {
			for len(perSecond) <= s {
				perSecond = append(perSecond, 0)
			}
			perSecond[s] += n
		}
		out.Errors += r.errors
		if r.firstError != "" && out.FirstError == nil {
			first := r.firstError
			out.FirstError = &first
		}
	}
	if perSecond != nil {
		out.PerSecond = perSecond
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	out.Ops = int64(len(all))
	out.OpsPerSecond = float64(out.Ops) / seconds
	out.P50Ms = percentileMs(all, 50)
	out.P95Ms = percentileMs(all, 95)
	out.P99Ms = percentileMs(all, 99)
	return out
}

// percentileMs is the nearest-rank p-th percentile of sorted microsecond samples, in
// milliseconds; -1 when there are none (JSON has no NaN).
func percentileMs(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return float64(sorted[rank]) / 1000
}
